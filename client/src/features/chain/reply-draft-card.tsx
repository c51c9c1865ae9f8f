import PersonIcon from '@mui/icons-material/Person';
import { Alert, Box, Button, Chip, Paper, Typography } from '@mui/material';
import { useState } from 'react';
import { LongText } from '../../components/long-text.js';

interface ReplyDraftCardProps {
  to?: string | undefined;
  subject: string;
  body: string;
  tone: string;
  needsHuman: boolean;
  /**
   * The body starts as two lines of running text with a button for the rest: for a step's output whose draft the
   * chain stored, shown whole in its Reply draft card on the same page.
   */
  folded?: boolean;
}

/** A drafted reply, laid out like the email it will become. */
export function ReplyDraftCard({ to, subject, body, tone, needsHuman, folded = false }: ReplyDraftCardProps) {
  const [unfolded, setUnfolded] = useState(false);
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
        {folded && !unfolded ? (
          <Typography
            variant="body2"
            color="text.secondary"
            data-testid="reply-draft-preview"
            sx={{ display: '-webkit-box', WebkitLineClamp: 2, WebkitBoxOrient: 'vertical', overflow: 'hidden' }}
          >
            {body}
          </Typography>
        ) : (
          <LongText text={body} component="div" sx={{ lineHeight: 1.7 }} />
        )}
        {folded ? (
          <Button size="small" onClick={() => setUnfolded(!unfolded)} aria-expanded={unfolded} sx={{ ml: -0.5 }}>
            {unfolded ? 'Fold the draft' : 'Show the whole draft'}
          </Button>
        ) : null}
      </Box>
      {needsHuman ? (
        <Alert severity="warning" square sx={{ borderTop: 1, borderColor: 'divider' }}>
          An agent must act before this reply is sent.
        </Alert>
      ) : null}
    </Paper>
  );
}
