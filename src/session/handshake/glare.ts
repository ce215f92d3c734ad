// Glare: both ends open a session to each other at once (RFC 7016 section 3.5.1.3, RFC 7425
// section 4.3.6; wire-reference B.1, G.10). Exactly one session must survive, so both ends apply
// the same deterministic rule to the pair of peer IDs.
//
// Our rule is librtmfp's as wire-reference B.1 reads it: the end whose peer ID is LARGER (bytewise,
// which equals comparing the lowercase hex strings librtmfp compares) keeps the initiator role and
// ignores the other's IIKeying; the smaller end answers that IIKeying as responder and folds its
// own attempt into the resulting session. rtmfp-cpp compares certificates instead, so against it
// the two rules can disagree; then both ends ignore (or both answer) and the 95 s attempt timeout
// or duplicate suppression settles it (G.10).

/** -1, 0, 1 as `a` sorts below, equal to, above `b`, bytewise, shorter first on a common prefix. */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! < b[i]! ? -1 : 1;
  return a.length === b.length ? 0 : a.length < b.length ? -1 : 1;
}

/** True when we keep the initiator role against `farPeerId` (and so ignore its IIKeying). */
export function nearKeepsInitiatorRole(nearPeerId: Uint8Array, farPeerId: Uint8Array): boolean {
  return compareBytes(nearPeerId, farPeerId) > 0;
}

/** What the responder does with an IIKeying from a peer: answer it, or ignore it (glare). */
export type GlareDecision = { answer: true; foldAttemptId: number | undefined } | { answer: false };
