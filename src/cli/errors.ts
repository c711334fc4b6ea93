/**
 * Errors meant for the user: one line that says what is wrong and what to do.
 * The CLI prints `message` alone (stack only with --debug) and exits with `exitCode`.
 */
export class UsageError extends Error {
  readonly exitCode = 2;
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** Bad input (unreadable target, corrupt archive, invalid config): exit 2 as well. */
export class InputError extends UsageError {
  constructor(message: string) {
    super(message);
    this.name = 'InputError';
  }
}

export function isUserError(error: unknown): error is UsageError {
  return error instanceof UsageError;
}
