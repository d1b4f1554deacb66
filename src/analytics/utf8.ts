/** UTF-8 sizes without encoding: the rules' eVar limit, the host's record limits. */

/** UTF-8 length of a string (lone surrogates count 3 bytes, as TextEncoder writes U+FFFD). */
export function utf8Bytes(s: string, stopAbove = Infinity): number {
  let b = 0;
  for (let i = 0; i < s.length && b <= stopAbove; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) b += 1;
    else if (c < 0x800) b += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) { b += 4; i++; }
    else b += 3;
  }
  return b;
}
