import { AltCLIPError } from '@altclip/core';

/** The process exit status of every outcome; documented in the README, stable for scripts. */
export const ExitCode = {
  ok: 0,
  /** Anything unforeseen: a bug worth reporting. */
  internal: 1,
  /** Bad command line: unknown command or option, missing or invalid value. */
  usage: 2,
  /** An input file or folder is missing, or an image cannot be read or decoded. */
  input: 3,
  /** The backend is unknown, failed to start, or lacks the asked device / dtype. */
  backend: 4,
  /** The model cannot be found (folder, hub id) or its files are unusable. */
  model: 5,
  /** The output cannot be written, or an existing output holds other items than this run would write. */
  output: 6,
  /** Ctrl-C (128 + SIGINT, the shell convention); `embed` resumes on the next run. */
  interrupted: 130,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** An error the CLI itself detects, with the exit status it maps to. */
export class CliError extends AltCLIPError {
  readonly exitCode: ExitCode;
  constructor(exitCode: ExitCode, code: string, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.exitCode = exitCode;
  }
}

/** Exit status by the `code` of the library's typed errors. */
const EXIT_BY_CODE: Readonly<Record<string, ExitCode>> = {
  invalid_image: ExitCode.input,
  image_too_large: ExitCode.input,
  backend_unavailable: ExitCode.backend,
  not_supported: ExitCode.model,
  model_not_found: ExitCode.model,
  hub_unauthorized: ExitCode.model,
  invalid_checkpoint: ExitCode.model,
  invalid_config: ExitCode.model,
  invalid_input: ExitCode.usage,
};

export function exitCodeFor(error: unknown): ExitCode {
  if (error instanceof CliError) return error.exitCode;
  const code = (error as { code?: unknown })?.code;
  if (typeof code === 'string' && code in EXIT_BY_CODE) return EXIT_BY_CODE[code];
  return ExitCode.internal;
}
