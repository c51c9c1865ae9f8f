import { TextField, type TextFieldProps } from '@mui/material';
import { useEffect, useRef, useState } from 'react';

/** How long typing must pause before a draft applies: a query per word, not per keystroke. */
const APPLY_AFTER_MS = 400;

type DraftFieldProps = Omit<TextFieldProps, 'value' | 'onChange' | 'error'> & {
  /** The applied value (from the address); null when none. */
  value: string | null;
  onApply: (value: string | null) => void;
  /** Why a draft cannot apply, or null when it can; an invalid draft is shown, not applied. */
  problemWith?: (draft: string) => string | null;
  /** Told whenever the field starts or stops holding a draft it refuses (the bar then offers Clear filters). */
  onRefusedChange?: (refused: boolean) => void;
};

/**
 * A text field whose value applies once typing pauses (or on Enter), trimmed, empty as null. It follows changes made
 * elsewhere (Clear filters, a link) but not the ones it just made, so the caret stays where the user types.
 */
export function DraftField({ value, onApply, problemWith, onRefusedChange, helperText, ...props }: DraftFieldProps) {
  const [draft, setDraft] = useState(value ?? '');
  const [applied, setApplied] = useState(value);
  const trimmed = draft.trim();
  const next = trimmed === '' ? null : trimmed;
  const problem = next === null ? null : (problemWith?.(next) ?? null);
  if (value !== applied) {
    setApplied(value);
    if (value !== next) setDraft(value ?? '');
  }
  const refused = problem !== null;
  // The latest callback, so a parent's inline function does not make this run on every render.
  const tellRefused = useRef(onRefusedChange);
  tellRefused.current = onRefusedChange;
  useEffect(() => tellRefused.current?.(refused), [refused]);
  useEffect(() => {
    if (problem !== null || next === value) return;
    const timer = setTimeout(() => onApply(next), APPLY_AFTER_MS);
    return () => clearTimeout(timer);
  }, [next, problem, value, onApply]);
  return (
    <TextField
      {...props}
      value={draft}
      error={problem !== null}
      helperText={problem ?? helperText}
      onChange={(event) => setDraft(event.target.value)}
      onKeyDown={(event) => {
        if (event.key === 'Enter' && problem === null && next !== value) onApply(next);
      }}
    />
  );
}
