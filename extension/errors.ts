/** A problem the user can fix; shown as a warning without "internal error" wording. */
export class UserError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UserError';
  }

  static is(e: unknown): e is UserError {
    return e instanceof UserError;
  }
}
