/**
 * A frame the client got wrong (over the message size bound, a bad opcode, invalid UTF-8): ws closes the socket with
 * the matching code (1009, 1002, 1007). The client's fault, not ours, so it is not logged as a failure.
 */
export function isWebSocketProtocolError(error: unknown): boolean {
  return (
    error instanceof Error && 'code' in error && typeof error.code === 'string' && error.code.startsWith('WS_ERR_')
  );
}
