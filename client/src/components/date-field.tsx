import { TextField, type TextFieldProps } from '@mui/material';
import { useEffect, useRef, useState } from 'react';

// A value whose year has four digits, the first not 0: one a person finished typing, or one the picker chose.
const FINISHED_YEAR = /^[1-9]\d{3}-/;

type DateFieldProps = Omit<TextFieldProps, 'type' | 'value' | 'onChange' | 'onBlur' | 'onFocus'> & {
  type: 'date' | 'datetime-local';
  /** The applied value, as the input writes it (`YYYY-MM-DD`, or `YYYY-MM-DDTHH:mm`); '' for none. */
  value: string;
  /** Called with a finished value, or with '' when the field is left empty. */
  onApply: (value: string) => void;
};

/**
 * A date (or date and time) field that applies what is typed once its year is finished. Chromium reports every
 * keystroke in the year as a whole date (typing 2025 passes 0002, 0020 and 0202): applied at once, each moved the
 * filter and the address, and a filter that clamps its range rewrote the field under the typing. The field shows what
 * is typed; a value it applied comes back a render or more later and is not shown again (that would reset the part
 * being typed), any other (a preset, a reset, the address, a clamp) is. Left, it shows the filter as it stands (an
 * unfinished year is dropped); left empty, it clears it.
 */
export function DateField({ type, value, onApply, ...props }: DateFieldProps) {
  const [draft, setDraft] = useState(value);
  // What this field applied, oldest first, until each comes back as `value`.
  const sent = useRef<string[]>([]);
  useEffect(() => {
    const echo = sent.current.indexOf(value);
    if (echo >= 0) {
      sent.current.splice(0, echo + 1);
      return;
    }
    sent.current = [];
    setDraft(value);
  }, [value]);
  const apply = (applied: string) => {
    sent.current.push(applied);
    onApply(applied);
  };
  return (
    <TextField
      {...props}
      type={type}
      value={draft}
      onChange={(event) => {
        const typed = event.target.value;
        setDraft(typed);
        // Against what it applied last: the value that comes back may still be an older one.
        if (FINISHED_YEAR.test(typed) && typed !== (sent.current.at(-1) ?? value)) apply(typed);
      }}
      onBlur={() => {
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
