/**
 * A small option parser: `--name value`, `--name=value` and boolean flags. Unknown
 * options and missing values are errors that name the option.
 */
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
