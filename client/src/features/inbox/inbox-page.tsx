import { Grid } from '@mui/material';
import { MessageForm } from './message-form.js';
import { MessageList } from './message-list.js';

/** `#/`: write or pick a message on one side, watch the inbox on the other. */
export function InboxPage() {
  return (
    <Grid container spacing={3}>
      <Grid size={{ xs: 12, md: 5 }}>
        <MessageForm />
      </Grid>
      <Grid size={{ xs: 12, md: 7 }}>
        <MessageList />
      </Grid>
    </Grid>
  );
}
