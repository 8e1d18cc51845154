/**
 * JSON as Go's encoding/json writes it (docker and kubectl are Go), for output that must match them byte for
 * byte. Differences from `JSON.stringify`: Go also escapes `<`, `>`, `&` (HTML-safe) and U+2028/U+2029. Both
 * write \b \f \n \r \t short and other control characters as lower-case `\u00xx` (Go ≥ 1.22). Callers refuse
 * lone surrogates first (Go would write U+FFFD), so the two never differ elsewhere. Pure.
 */
export function goJson(value: unknown): string {
  return JSON.stringify(value).replace(
    /[<>&\u2028\u2029]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}
