import LockIcon from '@mui/icons-material/Lock';
import {
  Button,
  Dialog,
  DialogActions,
  DialogContent,
  DialogContentText,
  DialogTitle,
  Stack,
  TextField,
} from '@mui/material';
import { type FormEvent, useState } from 'react';
import { submitToken } from './access-session.js';

const REFUSED = 'That token was refused.';

/**
 * Asks for the server's token (CHAINLOG_TOKEN) and tries it before the app uses it. It cannot be dismissed: without
 * the token there is nothing to show.
 */
export function TokenDialog({ refused }: { refused: boolean }) {
  const [token, setToken] = useState('');
  const [problem, setProblem] = useState<string | null>(refused ? REFUSED : null);
  const [checking, setChecking] = useState(false);

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (token.trim() === '') return;
    setChecking(true);
    const outcome = await submitToken(token.trim());
    setChecking(false);
    if (outcome === 'refused') setProblem(REFUSED);
    else if (outcome !== 'accepted') setProblem(`Could not check the token: ${outcome.message}`);
  }

  return (
    <Dialog open aria-labelledby="token-dialog-title" data-testid="token-dialog" maxWidth="xs" fullWidth>
      <form onSubmit={(event) => void onSubmit(event)}>
        <DialogTitle id="token-dialog-title">
          <Stack direction="row" spacing={1} sx={{ alignItems: 'center' }}>
            <LockIcon fontSize="small" />
            <span>This server needs a token</span>
          </Stack>
        </DialogTitle>
        <DialogContent>
          <DialogContentText sx={{ mb: 2 }}>
            Enter the token the server was started with (its CHAINLOG_TOKEN). It is kept for this browser tab only.
          </DialogContentText>
          <TextField
            label="Token"
            type="password"
            autoComplete="current-password"
            autoFocus
            fullWidth
            value={token}
            onChange={(event) => {
              setToken(event.target.value);
              setProblem(null);
            }}
            error={problem !== null}
            helperText={problem ?? ' '}
          />
        </DialogContent>
        <DialogActions>
          <Button type="submit" variant="contained" disabled={checking || token.trim() === ''}>
            {checking ? 'Checking…' : 'Unlock'}
          </Button>
        </DialogActions>
      </form>
    </Dialog>
  );
}
