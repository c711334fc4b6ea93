/** Text to match literally inside a regular expression (outside a character class). Pure. */
export function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
