import ContentCopyIcon from '@mui/icons-material/ContentCopy';
import ExpandMoreIcon from '@mui/icons-material/ExpandMore';
import { Accordion, AccordionDetails, AccordionSummary, Box, Button, Typography } from '@mui/material';
import { useState } from 'react';
import { JsonTree } from '../../components/json-tree.js';

const EXPANDED = 99;

/** One stored JSON column of a log row, in a panel that folds away, with expand/collapse-all and copy. */
export function JsonSection({
  title,
  value,
  defaultExpanded = true,
  testId,
}: {
  title: string;
  value: unknown;
  defaultExpanded?: boolean;
  testId: string;
}) {
  // Remounting the tree with a new depth is how "expand all" and "collapse all" reach every node.
  const [view, setView] = useState({ depth: 3, generation: 0 });
  const [copied, setCopied] = useState(false);
  const copy = () => {
    // The clipboard API exists only in secure contexts (https, localhost): elsewhere the button does nothing.
    if (!navigator.clipboard) return;
    navigator.clipboard.writeText(JSON.stringify(value, null, 2)).then(
      () => {
        setCopied(true);
        setTimeout(() => setCopied(false), 1_500);
      },
      () => setCopied(false),
    );
  };
  return (
    <Accordion defaultExpanded={defaultExpanded} variant="outlined" disableGutters data-testid={testId}>
      <AccordionSummary expandIcon={<ExpandMoreIcon />}>
        <Typography variant="subtitle1" component="h2" sx={{ fontWeight: 600 }}>
          {title}
        </Typography>
      </AccordionSummary>
      <AccordionDetails sx={{ pt: 0 }}>
        {value === null || value === undefined ? (
          <Typography variant="body2" color="text.secondary">
            Nothing stored.
          </Typography>
        ) : (
          <>
            <Box sx={{ display: 'flex', gap: 1, mb: 1 }}>
              <Button
                size="small"
                onClick={() => setView((current) => ({ depth: EXPANDED, generation: current.generation + 1 }))}
              >
                Expand all
              </Button>
              <Button
                size="small"
                onClick={() => setView((current) => ({ depth: 1, generation: current.generation + 1 }))}
              >
                Collapse all
              </Button>
              <Button size="small" startIcon={<ContentCopyIcon />} onClick={copy}>
                {copied ? 'Copied' : 'Copy JSON'}
              </Button>
            </Box>
            <Box sx={{ overflowX: 'auto' }}>
              <JsonTree key={view.generation} value={value} expandDepth={view.depth} label={title} />
            </Box>
          </>
        )}
      </AccordionDetails>
    </Accordion>
  );
}
