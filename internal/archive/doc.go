// Package archive writes and checks evidence packages: one tar file that a
// court can verify offline, years later, with nothing but the file and the
// public keys of the exporting node's log and of the witnesses that cosign
// it.
//
// A package holds, in this order:
//
//	manifest.jsonld          CASE/UCO JSON-LD: the items, their hashes, collection and custody
//	request.json             the formal request, as the node shows it
//	answer.json              the answer given (absent while there is none)
//	checkpoints/NNN.txt      signed checkpoints of the log (C2SP signed note, with cosignatures)
//	records/NNN.json         the canonical bytes of each custody audit record
//	proofs/NNN.json          its log entry, leaf index and RFC 6962 inclusion proof
//	records/export.json      the exporting node's export record, and its proof
//	proofs/export.json
//	proofs/consistency-NNN.json  that a newer checkpoint extends an older, cosigned one
//	files/NNN-NAME           the evidence, byte for byte
//	seal.sig                 a signed note over everything before it
//
// Tar rather than zip: tar is written and read front to back, so a package
// of any size streams through both ends in bounded memory, and a tar stream
// has no central directory that could disagree with its members.
//
// What makes a change anywhere detectable: each record's bytes hash to a log
// entry that its proof places under a checkpoint signed by the log's key; the
// exporting node's export record, itself in the log, holds the SHA-256 of the
// manifest; the manifest holds the size and SHA-256 of every other member;
// and the seal, signed by the log's key, covers the bytes of every header and
// padding block before it with the SHA-256 of each member's content in place
// of the content (so that verifying hashes each byte once). Verify names the
// member, record, proof or checkpoint that fails.
package archive
