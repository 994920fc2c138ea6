/** A bad environment: one line per bad variable, naming it and saying what is wrong, never its value. */
export class EnvValidationError extends Error {
  constructor(readonly problems: readonly { readonly variable: string; readonly message: string }[]) {
    super(`Invalid environment:\n${problems.map((p) => `  ${p.variable} ${p.message}`).join('\n')}`);
    this.name = 'EnvValidationError';
  }

  /** The bad variables' names. */
  get variables(): string[] {
    return [...new Set(this.problems.map((p) => p.variable))];
  }
}
