/** Past this many lines or characters a text shows its start and a button for the rest. */
const SHOWN_LINES = 12;
const SHOWN_CHARACTERS = 1_200;

/**
 * The start of a long text (its first lines, at most so many characters, never half a surrogate pair), or null when
 * it is short enough to show whole (what it would leave out is only white space).
 */
export function startOf(text: string): string | null {
  const lines = text.split('\n');
  let start = lines.length > SHOWN_LINES ? lines.slice(0, SHOWN_LINES).join('\n') : text;
  if (start.length > SHOWN_CHARACTERS) {
    const highSurrogateAtCut = /[\uD800-\uDBFF]/.test(start.charAt(SHOWN_CHARACTERS - 1));
    start = start.slice(0, highSurrogateAtCut ? SHOWN_CHARACTERS - 1 : SHOWN_CHARACTERS);
  }
  return start.length < text.trimEnd().length ? start.trimEnd() : null;
}
