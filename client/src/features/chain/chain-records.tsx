import { isEntityExtraction } from '@chainlog/shared';
import {
  Card,
  CardContent,
  CardHeader,
  Divider,
  List,
  ListItemButton,
  ListItemText,
  Stack,
  Typography,
} from '@mui/material';
import type { ReactNode } from 'react';
import { Link as RouterLink } from 'react-router';
import { JsonTree } from '../../components/json-tree.js';
import { LongText } from '../../components/long-text.js';
import { OfflineChip } from '../../components/offline-chip.js';
import { StatusChip } from '../../components/status-chip.js';
import { formatDateTime, formatTime } from '../../format.js';
import type { ChainDetail } from './apply-live-events.js';
import { ReplyDraftCard } from './reply-draft-card.js';
import { EntityList, IntentSummary } from './triage-summary.js';

function Section({
  title,
  children,
  testId,
  action,
}: {
  title: string;
  children: ReactNode;
  testId: string;
  action?: ReactNode;
}) {
  return (
    <Card variant="outlined" data-testid={testId}>
      <CardHeader
        title={title}
        action={action}
        slotProps={{ title: { variant: 'subtitle1', component: 'h2', sx: { fontWeight: 600 } } }}
        sx={{ pb: 0 }}
      />
      <CardContent>{children}</CardContent>
    </Card>
  );
}

/** The rows the chain created (message, triage, reply draft) and its inference_log rows. */
export function ChainRecords({ detail }: { detail: ChainDetail }) {
  const { messages, triages, replyDrafts } = detail.domain;
  const sender = messages[0]?.from;
  return (
    <Stack spacing={2}>
      {messages.map((message) => (
        <Section key={message.id} title="Message" testId="chain-message">
          <Typography variant="body2" color="text.secondary">
            From {message.from} · {formatDateTime(message.createdAt)}
          </Typography>
          <Typography variant="subtitle2" component="p" sx={{ mt: 1 }}>
            {message.subject || '(no subject)'}
          </Typography>
          <LongText text={message.body} sx={{ mt: 1 }} data-testid="message-body" />
        </Section>
      ))}
      {replyDrafts.map((draft) => (
        <Section key={draft.id} title="Reply draft" testId="chain-reply-draft">
          <ReplyDraftCard
            to={sender}
            subject={draft.subject}
            body={draft.body}
            tone={draft.tone}
            needsHuman={draft.needsHuman}
          />
        </Section>
      ))}
      {triages.map((triage) => {
        const { entities } = triage;
        return (
          <Section key={triage.id} title="Triage" testId="chain-triage">
            <IntentSummary intent={triage.intent} urgency={triage.urgency} confidence={triage.confidence} />
            <Divider sx={{ my: 1.5 }} />
            {isEntityExtraction(entities) ? (
              <EntityList entities={entities} />
            ) : (
              <JsonTree value={entities} label="entities" />
            )}
          </Section>
        );
      })}
      <Section title={`Inference calls (${callsAndAttempts(detail.totals)})`} testId="chain-logs">
        {detail.logs.length === 0 ? (
          <Typography variant="body2" color="text.secondary">
            None yet.
          </Typography>
        ) : (
          <List dense disablePadding sx={{ mx: -2, mb: -1 }}>
            {detail.logs.length < detail.totals.attempts ? (
              <Typography
                variant="caption"
                color="text.secondary"
                component="p"
                sx={{ px: 2, pb: 1 }}
                data-testid="chain-logs-truncated"
              >
                The first {detail.logs.length.toLocaleString()} of {detail.totals.attempts.toLocaleString()} attempts;
                the totals count them all.
              </Typography>
            ) : null}
            {detail.logs.map((log) => (
              <ListItemButton
                key={log.id}
                component={RouterLink}
                to={`/logs/${log.id}`}
                data-testid="chain-log-link"
                sx={{ gap: 1 }}
              >
                <ListItemText
                  primary={`${log.name}${log.attempt > 1 ? ` (attempt ${log.attempt})` : ''}`}
                  secondary={`${log.provider} · ${log.model} · ${formatTime(log.createdAt)}`}
                />
                <OfflineChip provider={log.provider} />
                <StatusChip status={log.status} />
              </ListItemButton>
            ))}
          </List>
        )}
      </Section>
    </Stack>
  );
}

/** "3" when no call was retried, "3 calls, 4 attempts" when one was. */
function callsAndAttempts({ calls, attempts }: { calls: number; attempts: number }): string {
  return attempts === calls ? String(calls) : `${calls} call${calls === 1 ? '' : 's'}, ${attempts} attempts`;
}
