import PersonIcon from '@mui/icons-material/Person';
import { Alert, Box, Chip, Paper, Typography } from '@mui/material';
import { LongText } from '../../components/long-text.js';

interface ReplyDraftCardProps {
  to?: string | undefined;
  subject: string;
  body: string;
  tone: string;
  needsHuman: boolean;
}

/** A drafted reply, laid out like the email it will become. */
export function ReplyDraftCard({ to, subject, body, tone, needsHuman }: ReplyDraftCardProps) {
  return (
    <Paper variant="outlined" data-testid="reply-draft" sx={{ overflow: 'hidden' }}>
      <Box sx={{ px: 2, py: 1.25, bgcolor: 'action.hover', borderBottom: 1, borderColor: 'divider' }}>
        {to ? (
          <Typography variant="body2" color="text.secondary">
            To:{' '}
            <Box component="span" sx={{ color: 'text.primary' }}>
              {to}
            </Box>
          </Typography>
        ) : null}
        <Typography variant="subtitle2" component="p">
          {subject}
        </Typography>
        <Box sx={{ display: 'flex', gap: 1, mt: 0.75, flexWrap: 'wrap' }}>
          <Chip size="small" label={`tone: ${tone}`} variant="outlined" />
          {needsHuman ? (
            <Chip size="small" color="warning" icon={<PersonIcon />} label="needs a human" data-testid="needs-human" />
          ) : null}
        </Box>
      </Box>
      <Box sx={{ px: 2, py: 1.5 }}>
        <LongText text={body} component="div" sx={{ lineHeight: 1.7 }} />
      </Box>
      {needsHuman ? (
        <Alert severity="warning" square sx={{ borderTop: 1, borderColor: 'divider' }}>
          An agent must act before this reply is sent.
        </Alert>
      ) : null}
    </Paper>
  );
}
