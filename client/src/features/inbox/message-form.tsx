import SendIcon from '@mui/icons-material/Send';
import { Alert, Box, Button, Card, CardContent, CircularProgress, Stack, TextField, Typography } from '@mui/material';
import { SUPPORT_MESSAGE_MAX_LENGTH } from '@chainlog/shared';
import { type FormEvent, useState } from 'react';
import { useNavigate } from 'react-router';
import { isUnreachable } from '../../error-code.js';
import { trpc } from '../../trpc.js';
import { EXAMPLE_MESSAGES } from './example-messages.js';

type Field = 'from' | 'subject' | 'body';
type Values = Record<Field, string>;

const EMPTY: Values = { from: '', subject: '', body: '' };
const FIELDS: readonly Field[] = ['from', 'subject', 'body'];

/** The new-message form: examples fill it in one click; Submit starts the chain and opens it. */
export function MessageForm() {
  const navigate = useNavigate();
  const [values, setValues] = useState<Values>(EMPTY);
  const [touched, setTouched] = useState(false);
  const submit = trpc.inbox.submit.useMutation({
    onSuccess: ({ chainId }) => void navigate(`/chains/${chainId}`),
  });

  const serverErrors = fieldErrors(submit.error?.data?.issues);
  const errorOf = (field: Field): string | undefined => {
    if (touched && field !== 'subject' && values[field].trim() === '') return 'Required';
    return overLimit(values[field], SUPPORT_MESSAGE_MAX_LENGTH[field]) ?? serverErrors[field];
  };
  const invalid =
    values.from.trim() === '' ||
    values.body.trim() === '' ||
    FIELDS.some((name) => overLimit(values[name], SUPPORT_MESSAGE_MAX_LENGTH[name]) !== undefined);

  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    setTouched(true);
    if (invalid) return;
    submit.mutate(values);
  };
  const fill = (message: Values) => {
    setValues(message);
    setTouched(false);
    submit.reset();
  };
  const field = (name: Field) => ({
    value: values[name],
    onChange: (event: { target: { value: string } }) =>
      setValues((current) => ({ ...current, [name]: event.target.value })),
    error: errorOf(name) !== undefined,
    helperText: errorOf(name) ?? lengthHint(values[name], SUPPORT_MESSAGE_MAX_LENGTH[name]),
    name,
    id: `message-${name}`,
    fullWidth: true,
  });
  const otherError = submit.error && Object.keys(serverErrors).length === 0 ? describeSubmitError(submit.error) : null;

  return (
    <Card variant="outlined">
      <CardContent>
        <Typography variant="h6" component="h2" gutterBottom>
          New message
        </Typography>
        <Typography variant="body2" color="text.secondary" id="examples-label" sx={{ mb: 1 }}>
          Try an example
        </Typography>
        <Box role="group" aria-labelledby="examples-label" sx={{ display: 'flex', flexWrap: 'wrap', gap: 1, mb: 2.5 }}>
          {EXAMPLE_MESSAGES.map((example) => (
            <Button key={example.label} size="small" variant="outlined" onClick={() => fill({ ...example.message })}>
              {example.label}
            </Button>
          ))}
        </Box>
        <Stack component="form" spacing={2} noValidate onSubmit={onSubmit}>
          {/* Text with an email keyboard, not type="email": Chromium turns a domain in another script into punycode
              (例え.jp → xn--r8jz45g.jp), and the server takes the address as written. */}
          <TextField
            label="From"
            autoComplete="email"
            placeholder="customer@example.com"
            {...field('from')}
            slotProps={{
              htmlInput: {
                inputMode: 'email',
                spellCheck: false,
                autoCapitalize: 'none',
                autoCorrect: 'off',
              },
            }}
          />
          <TextField label="Subject" {...field('subject')} />
          <TextField label="Message" multiline minRows={5} maxRows={14} {...field('body')} />
          {otherError ? <Alert severity="error">{otherError}</Alert> : null}
          <Box sx={{ display: 'flex', justifyContent: 'flex-end' }}>
            <Button
              type="submit"
              variant="contained"
              disabled={submit.isPending}
              endIcon={submit.isPending ? <CircularProgress size={16} color="inherit" /> : <SendIcon />}
            >
              Submit
            </Button>
          </Box>
        </Stack>
      </CardContent>
    </Card>
  );
}

// Counted as the server counts them: after trimming (a paste that ends in a line break is not one too many).
const lengthOf = (value: string) => value.trim().length;

/** The count against the field's limit once it is near. */
function lengthHint(value: string, maxLength: number): string | undefined {
  return lengthOf(value) >= maxLength * 0.9 ? counted(value, maxLength) : undefined;
}

/**
 * The error of a field longer than the server takes. The field keeps all of it (no `maxlength`, which cuts a paste
 * without a word), so the writer sees how much to shorten and the message is not sent until it fits.
 */
function overLimit(value: string, maxLength: number): string | undefined {
  const over = lengthOf(value) - maxLength;
  return over > 0 ? `${counted(value, maxLength)}: ${over.toLocaleString()} too many` : undefined;
}

const counted = (value: string, maxLength: number) =>
  `${lengthOf(value).toLocaleString()} / ${maxLength.toLocaleString()} characters`;

/** The server's zod issues (BAD_REQUEST) by field, first message each. */
function fieldErrors(
  issues: readonly { path: readonly PropertyKey[]; message: string }[] | null | undefined,
): Partial<Record<Field, string>> {
  const errors: Partial<Record<Field, string>> = {};
  for (const issue of issues ?? []) {
    const field = FIELDS.find((name) => name === issue.path[0]);
    if (field && !errors[field]) errors[field] = issue.message;
  }
  return errors;
}

/** The server's own message; without an answer from it (no connection), what that means for the message. */
function describeSubmitError(error: { message: string }): string {
  if (isUnreachable(error))
    return 'The server could not be reached, so the message was not sent. Try again once the connection is back.';
  return error.message;
}
