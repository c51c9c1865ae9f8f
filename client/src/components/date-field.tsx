import { TextField, type TextFieldProps } from '@mui/material';
import { type RefObject, useEffect, useRef, useState } from 'react';

// A value whose year has four digits, the first not 0: one a person finished typing, or one the picker chose.
const FINISHED_YEAR = /^[1-9]\d{3}-/;
/** How long a typed date waits for the next keystroke before it is applied (at once on Enter or on leaving). */
const PAUSE_MS = 600;

interface Waiting {
  value: string;
  timer: ReturnType<typeof setTimeout>;
}

function stopWaiting(waiting: RefObject<Waiting | null>): void {
  clearTimeout(waiting.current?.timer);
  waiting.current = null;
}

type DateFieldProps = Omit<TextFieldProps, 'type' | 'value' | 'onChange' | 'onBlur' | 'onFocus' | 'onKeyDown'> & {
  type: 'date' | 'datetime-local';
  /** The applied value, as the input writes it (`YYYY-MM-DD`, or `YYYY-MM-DDTHH:mm`); '' for none. */
  value: string;
  /** Called with a finished value, or with '' when the field is left empty. */
  onApply: (value: string) => void;
};

/**
 * A date (or date and time) field that applies what is typed once it is typed: a pause after a value whose year is
 * finished, Enter, or leaving the field. Chromium reports every keystroke as a whole date once the field holds one:
 * typing the year 2025 passes 0002, 0020 and 0202, and typing the month 11 of a filled field passes month 01 (in a
 * year-first locale, every digit of the month and the day). Applied at once, each moved the filter and the address,
 * and a filter that clamps its range rewrote the field under the typing. The field shows what is typed; a value it
 * applied comes back a render or more later and is not shown again (that would reset the part being typed), any
 * other (a preset, a reset, the address, a clamp) is. Left, it shows the filter as it stands (an unfinished year is
 * dropped); left empty, it clears it.
 */
export function DateField({ type, value, onApply, ...props }: DateFieldProps) {
  const [draft, setDraft] = useState(value);
  // What this field applied, oldest first, until each comes back as `value`.
  const sent = useRef<string[]>([]);
  // A finished value typed and not applied yet, and the timer that applies it.
  const waiting = useRef<Waiting | null>(null);
  // The applied value and onApply as they stand when the timer fires, not as they stood when it was set (a filter's
  // onApply reads the other filters of its render).
  const latest = useRef({ value, onApply });
  useEffect(() => {
    latest.current = { value, onApply };
  });
  useEffect(() => {
    const echo = sent.current.indexOf(value);
    if (echo >= 0) {
      sent.current.splice(0, echo + 1);
      return;
    }
    // Changed from elsewhere (the address, a preset, a clamp): what was being typed is dropped with the draft.
    stopWaiting(waiting);
    sent.current = [];
    setDraft(value);
  }, [value]);
  useEffect(() => () => stopWaiting(waiting), []);
  const apply = (applied: string) => {
    sent.current.push(applied);
    latest.current.onApply(applied);
  };
  /** Applies the value waiting, if any; whether there was one. */
  const applyWaiting = (): boolean => {
    const typed = waiting.current;
    if (!typed) return false;
    stopWaiting(waiting);
    // Against what it applied last: the value that comes back may still be an older one.
    if (typed.value !== (sent.current.at(-1) ?? latest.current.value)) apply(typed.value);
    return true;
  };
  return (
    <TextField
      {...props}
      type={type}
      value={draft}
      onChange={(event) => {
        const typed = event.target.value;
        setDraft(typed);
        stopWaiting(waiting);
        if (FINISHED_YEAR.test(typed)) waiting.current = { value: typed, timer: setTimeout(applyWaiting, PAUSE_MS) };
      }}
      onKeyDown={(event) => {
        if (event.key === 'Enter') applyWaiting();
      }}
      onBlur={() => {
        // What was typed last, now; the field keeps showing it until it comes back.
        if (applyWaiting()) return;
        if (draft === '' && value !== '') apply('');
        else {
          // The filter as it stands (an applied value the filter kept as it was never comes back as a change).
          sent.current = [];
          setDraft(value);
        }
      }}
    />
  );
}
