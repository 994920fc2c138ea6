import type { z } from 'zod';

/** One bad option: its name (a dotted path for nested options) and what is wrong, never its value. */
export interface OptionProblem {
  readonly option: string;
  readonly message: string;
}

/** A module was configured wrong: one line per bad option, each naming it. Thrown at boot by `resolve*Options`. */
export class ModuleOptionsError extends Error {
  constructor(
    readonly module: string,
    readonly problems: readonly OptionProblem[],
  ) {
    super(`${module} options are invalid:\n${problems.map((p) => `  ${p.option} ${p.message}`).join('\n')}`);
    this.name = 'ModuleOptionsError';
  }

  /** The bad options' names. */
  get options(): string[] {
    return [...new Set(this.problems.map((p) => p.option))];
  }
}

/**
 * Validates a module's options with its zod schema and applies its defaults, the way `parseEnv` validates the
 * environment: every problem at once, each naming the option. Schemas give their own messages (they never include the
 * received value: several options are secrets); zod's type errors are reworded here.
 *
 * @throws {ModuleOptionsError}
 */
export function parseModuleOptions<S extends z.ZodType>(module: string, schema: S, input: unknown): z.output<S> {
  const result = schema.safeParse(input ?? {});
  if (result.success) return result.data;
  const problems: OptionProblem[] = [];
  for (const issue of result.error.issues) {
    const at = issue.path.map(String);
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) problems.push({ option: [...at, key].join('.'), message: `is not an option` });
      continue;
    }
    problems.push({
      option: at.length ? at.join('.') : 'options',
      message: issue.code === 'invalid_type' ? typeMessage(issue.expected, valueAt(input, at)) : issue.message,
    });
  }
  throw new ModuleOptionsError(module, problems);
}

function valueAt(input: unknown, path: readonly string[]): unknown {
  let value = input;
  for (const key of path) value = typeof value === 'object' && value !== null ? Reflect.get(value, key) : undefined;
  return value;
}

function typeMessage(expected: string, value: unknown): string {
  if (value === undefined) return 'is required';
  return `must be ${expected === 'int' ? 'an integer' : /^[aeiou]/.test(expected) ? `an ${expected}` : `a ${expected}`}`;
}
