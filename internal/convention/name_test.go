package convention

import "testing"

// TestNamesThisConvention: art. 40(1), art. 65: this Convention named as
// "another treaty" is recognised in each authentic language and by its
// numbers; other treaties, Budapest's among them, are not.
func TestNamesThisConvention(t *testing.T) {
	for _, name := range []string{
		"UN Convention against Cybercrime",
		"United Nations Convention against Cybercrime; Strengthening International Cooperation",
		"Hanoi Convention",
		"the Convention signed in Hanoi",
		"Convention against cybercrime",
		"UNTC XVIII-16",
		"General Assembly resolution 79/243",
		"Convention des Nations Unies contre la cybercriminalité",
		"Convención de las Naciones Unidas contra la Ciberdelincuencia",
		"Конвенция Организации Объединенных Наций против киберпреступности",
		"联合国打击网络犯罪公约",
		"اتفاقية الأمم المتحدة لمكافحة الجريمة السيبرانية",
		"U.N. cybercrime treaty",
	} {
		if !NamesThisConvention(name) {
			t.Errorf("NamesThisConvention(%q) = false, want true", name)
		}
	}
	for _, name := range []string{
		"Convention on Cybercrime (Budapest, 2001)",
		"Council of Europe Convention on Cybercrime",
		"Treaty on mutual legal assistance in criminal matters between France and Viet Nam",
		"United Nations Convention against Transnational Organized Crime",
		"Inter-American Convention on Mutual Assistance in Criminal Matters",
	} {
		if NamesThisConvention(name) {
			t.Errorf("NamesThisConvention(%q) = true, want false", name)
		}
	}
}
