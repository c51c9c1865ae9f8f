import { Box, Button, Typography, type TypographyProps } from '@mui/material';
import { useState } from 'react';
import { startOf } from './text-start.js';

/**
 * Text with its line breaks (a message, a drafted reply) that may be long: a pasted thread of 20,000 characters made
 * the page many screens tall. A long one shows its start and "Show all", which shows the rest in place.
 */
export function LongText({ text, sx, ...props }: { text: string } & Omit<TypographyProps, 'children'>) {
  const [whole, setWhole] = useState(false);
  const start = startOf(text);
  return (
    <Box>
      <Typography variant="body2" {...props} sx={[{ whiteSpace: 'pre-wrap' }, ...(Array.isArray(sx) ? sx : [sx])]}>
        {start === null || whole ? text : `${start}…`}
      </Typography>
      {start === null ? null : (
        <Button size="small" onClick={() => setWhole(!whole)} aria-expanded={whole} sx={{ ml: -0.5 }}>
          {whole ? 'Show less' : `Show all (${text.length.toLocaleString()} characters)`}
        </Button>
      )}
    </Box>
  );
}
