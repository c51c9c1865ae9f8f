// Symbol.for survives duplicate copies of this module (two installs, bundled and unbundled), unlike instanceof.
const LLM_ERROR = Symbol.for('chainlog.llm-error');

export interface LlmErrorOptions {
  cause?: unknown;
  logId?: string;
  providerStatus?: number;
}

/** What an error looks like in `inference_log.error`: no stack, no secret. */
export interface LlmErrorRecord {
  class: string;
  code: string;
  message: string;
  providerStatus: number | null;
  details?: unknown;
}

/**
 * An error as kept to be thrown again later (a failed chain step's journal): its record, the codes its class's
 * guards match, and its log id.
 */
export interface StoredLlmError extends LlmErrorRecord {
  codes: string[];
  logId: string | null;
}

/** The base of every error `ask()` throws; each subclass has its own `code` and a static `isInstance` guard. */
export class LlmError extends Error {
  static readonly code: string = 'llm_error';
  /** The codes of this error's class and of every class it extends, up to LlmError: what `isInstance` matches. */
  readonly [LLM_ERROR]: readonly string[];
  readonly code: string;
  /** The inference_log row of the attempt that failed, when one was written. */
  logId: string | undefined;
  readonly providerStatus: number | undefined;

  constructor(message: string, options: LlmErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = new.target.code;
    this[LLM_ERROR] = codesOfClassChain(new.target);
    this.logId = options.logId;
    this.providerStatus = options.providerStatus;
  }

  /**
   * `LlmError.isInstance(e)` matches every LLM error; `RefusalError.isInstance(e)` only refusals;
   * `ProviderError.isInstance(e)` provider errors and the classes that extend it (InvalidResponseBodyError).
   */
  // biome-ignore-start lint/complexity/noThisInStatic: `this` is the class it is called on (RefusalError.isInstance), not LlmError.
  static isInstance<T extends LlmError>(this: { readonly code: string; prototype: T }, error: unknown): error is T {
    if (typeof error !== 'object' || error === null || !(LLM_ERROR in error)) return false;
    if (this.code === LlmError.code) return true;
    const codes: unknown = (error as { [LLM_ERROR]: unknown })[LLM_ERROR];
    // A copy of this module from before the codes were kept marks its errors with `true`: match the own code then.
    return Array.isArray(codes) ? codes.includes(this.code) : (error as { code?: unknown }).code === this.code;
  }
  // biome-ignore-end lint/complexity/noThisInStatic: end of isInstance.

  /** Extra structured facts for the log row; subclasses override. */
  protected details(): unknown {
    return undefined;
  }

  /** What `restoreLlmError` rebuilds it from. */
  toStored(): StoredLlmError {
    return { ...this.toRecord(), codes: [...this[LLM_ERROR]], logId: this.logId ?? null };
  }

  toRecord(): LlmErrorRecord {
    const details = this.details();
    return {
      class: this.name,
      code: this.code,
      message: this.message,
      providerStatus: this.providerStatus ?? null,
      ...(details === undefined ? {} : { details }),
    };
  }
}

/**
 * A stored error rebuilt: its name, code, message, log id, provider status and details are the original's, and it
 * passes the same guards (`RefusalError.isInstance` for a refusal). It is an LlmError, not an instance of the
 * original's class, and fields of that class beyond these (a refusal's text) are in its record's details only.
 */
export function restoreLlmError(stored: StoredLlmError): LlmError {
  return new RestoredLlmError(stored);
}

class RestoredLlmError extends LlmError {
  constructor(private readonly stored: StoredLlmError) {
    super(stored.message, { logId: stored.logId ?? undefined, providerStatus: stored.providerStatus ?? undefined });
    this.name = stored.class;
    // Both set by LlmError's constructor from the class it was built as; the stored ones are the original's.
    Object.defineProperty(this, 'code', { value: stored.code });
    Object.defineProperty(this, LLM_ERROR, { value: [...stored.codes] });
  }

  protected override details(): unknown {
    return this.stored.details;
  }
}

/** `code` of the class, then of each class it extends, stopping at LlmError. */
function codesOfClassChain(target: { readonly code: string }): string[] {
  const codes: string[] = [];
  for (
    let current: unknown = target;
    typeof current === 'function' && 'code' in current;
    current = Object.getPrototypeOf(current)
  ) {
    if (typeof current.code === 'string') codes.push(current.code);
    if (current === LlmError) break;
  }
  return codes;
}
