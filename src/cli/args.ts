/**
 * A small option parser: `--name value`, `--name=value` and boolean flags. Unknown
 * options (single-dash ones too; `-h` is `--help` where the command has one) and missing
 * values are errors that name the option.
 */
import { availableParallelism } from "node:os";
import { InvalidInputError } from "../errors.js";

export interface OptionSpec {
  /** Option names without dashes mapped to "string" or "boolean". */
  [name: string]: "string" | "boolean";
}

export interface ParsedArgs {
  options: Record<string, string | boolean | undefined>;
  positionals: string[];
}

export function parseArgs(argv: string[], spec: OptionSpec): ParsedArgs {
  const options: Record<string, string | boolean | undefined> = {};
  const positionals: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--") {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (/^-[A-Za-z]/.test(arg)) {
      // A single-dash option (-h, -q, -json): not an argument. -h is --help where there is one.
      if (arg === "-h" && spec.help === "boolean") {
        options.help = true;
        continue;
      }
      throw new InvalidInputError(`unknown option ${arg} (options are spelled --name)`);
    }
    if (!arg.startsWith("--") || arg === "--") {
      positionals.push(arg);
      continue;
    }
    const eq = arg.indexOf("=");
    const name = eq >= 0 ? arg.slice(2, eq) : arg.slice(2);
    const kind = spec[name];
    if (!kind) throw new InvalidInputError(`unknown option --${name}`);
    if (kind === "boolean") {
      if (eq >= 0) throw new InvalidInputError(`option --${name} takes no value`);
      options[name] = true;
    } else {
      let value: string | undefined;
      if (eq >= 0) value = arg.slice(eq + 1);
      else value = argv[++i];
      if (value === undefined) throw new InvalidInputError(`option --${name} needs a value`);
      options[name] = value;
    }
  }
  return { options, positionals };
}

/** `--run REGEX`, checked to be a valid regular expression (undefined when absent). */
export function readRunPattern(options: ParsedArgs["options"]): string | undefined {
  const run = options.run as string | undefined;
  if (run === undefined) return undefined;
  try {
    new RegExp(run);
  } catch {
    throw new InvalidInputError(`--run: not a valid regular expression: ${run}`);
  }
  return run;
}

/** `--workers N` (default: the number of cores) and `--timeout S` for the file runners. */
export function readWorkerOptions(
  options: ParsedArgs["options"],
  defaultTimeoutS: number,
): { workers: number; timeoutMs: number } {
  const workers = options.workers === undefined ? availableParallelism() : Number(options.workers);
  if (!Number.isInteger(workers) || workers < 1)
    throw new InvalidInputError("--workers: expected a positive integer");
  const timeout = options.timeout === undefined ? defaultTimeoutS : Number(options.timeout);
  if (!(timeout > 0)) throw new InvalidInputError("--timeout: expected a positive number of seconds");
  return { workers, timeoutMs: timeout * 1000 };
}
