package convention

import "strings"

// NamesThisConvention reports whether name, given as the name of another
// treaty, names this Convention instead, in any of the six languages in
// which it is authentic, by its UN treaty number, by the resolution that
// adopted it, or as "the Hanoi Convention". A request cannot rest on this
// Convention under another name: only as the Convention itself, which
// the treaty status then governs (arts. 40(1), 65). The Council of
// Europe's Convention on Cybercrime (Budapest) is another treaty.
func NamesThisConvention(name string) bool {
	n := strings.ToLower(strings.Join(strings.FieldsFunc(name, func(r rune) bool {
		return r == ' ' || r == ',' || r == '.' || r == '"' || r == '\'' || r == '(' || r == ')' || r == '’' || r == '«' || r == '»' || r == '\u00a0'
	}), " "))
	has := func(terms ...string) bool {
		for _, t := range terms {
			if strings.Contains(n, t) {
				return true
			}
		}
		return false
	}
	switch {
	case has("xviii-16", "xviii 16", "79/243", "a/res/79"):
		return true
	case has("hanoi", "hà nội", "ha noi", "hanoï", "ханой", "河内", "هانوي") && has("convention", "convenci", "конвенц", "公约", "اتفاقية"):
		return true
	case has("against cybercrime", "against cyber crime", "countering the use of information and communications technologies"):
		return true
	}
	cyber := has("cybercrim", "cyber crim", "cybercriminalit", "ciberdelincuencia", "киберпреступност", "网络犯罪", "الجريمة السيبرانية")
	un := has("united nations", "nations unies", "naciones unidas", "объединенных наций", "объединённых наций", "联合国", "الأمم المتحدة") ||
		strings.HasPrefix(n, "un ") || strings.Contains(n, " un ") || has("u n ", "оон")
	return cyber && un
}
