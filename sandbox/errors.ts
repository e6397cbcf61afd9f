// Typed errors. Pure (no node: modules): the workflow bundle loads this file.

/** Base class: every error this package throws on purpose is a SandboxError. */
export class SandboxError extends Error {
  /** Stable machine-readable kind, also used as the Temporal failure type. */
  readonly type: string = 'SandboxError';
  /** `cause`: the error this one explains (a spawn's, a file system's), kept whole. */
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/**
 * A policy that cannot be applied: a malformed or non-canonical entry, an unknown preset or
 * posture, or a per-call setting that would broaden its ceiling. Never retryable.
 */
export class SandboxPolicyError extends SandboxError {
  readonly type = 'SandboxPolicyError';
  /** The entry (or setting) at fault, exactly as given. */
  readonly entry?: string;
  /** The ceiling it exceeds, where one was exceeded ("session allowlist", "worker ceiling"...). */
  readonly ceiling?: string;
  constructor(message: string, details: { entry?: string; ceiling?: string } = {}) {
    super(message);
    this.entry = details.entry;
    this.ceiling = details.ceiling;
  }
}

/** Bad input that is not a policy: an empty command, a malformed --env, a missing cwd. */
export class SandboxInputError extends SandboxError {
  readonly type = 'SandboxInputError';
}

/** A backend that cannot start here: names what to install or enable. Never downgraded. */
export class SandboxBackendError extends SandboxError {
  readonly type = 'SandboxBackendError';
  readonly backend: string;
  constructor(backend: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.backend = backend;
  }
}

/**
 * A session that this worker does not hold (any more): closed, past its sessionTimeout, or made
 * by an earlier life of the worker. Never retryable: reopen the session and repeat its set-up.
 */
export class SandboxSessionLost extends SandboxError {
  readonly type = 'SandboxSessionLost';
  readonly sessionId: string;
  constructor(sessionId: string, message: string) {
    super(message);
    this.sessionId = sessionId;
  }
}

/** The worker holds maxSessions open sessions already. Retryable: the open lands elsewhere or later. */
export class SandboxSessionsFull extends SandboxError {
  readonly type = 'SandboxSessionsFull';
}

/**
 * The sandbox could not finish a run it started: a bug of ours, never the command's. Names what
 * it was waiting for (docs/mechanism.md, "A run always ends"). Retryable: another attempt starts
 * afresh.
 */
export class SandboxInternalError extends SandboxError {
  readonly type = 'SandboxInternalError';
}
