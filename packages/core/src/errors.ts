/** Base class of every error this project throws on purpose; `code` is stable for programmatic checks. */
export class AltCLIPError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** A config field holds a value the architecture cannot use. */
export class ConfigError extends AltCLIPError {
  readonly field: string;
  constructor(field: string, message: string) {
    super('invalid_config', `${field}: ${message}`);
    this.field = field;
  }
}

/** A config or call asks for something this library does not implement yet. */
export class NotSupportedError extends AltCLIPError {
  constructor(message: string) {
    super('not_supported', message);
  }
}

/** A checkpoint file is malformed, truncated, hostile, or lacks a tensor. */
export class CheckpointError extends AltCLIPError {
  readonly file: string;
  constructor(file: string, message: string, options?: { cause?: unknown }) {
    super('invalid_checkpoint', `${file}: ${message}`, options);
    this.file = file;
  }
}

/** A model reference (folder or hub id) cannot be resolved to a file. */
export class ModelNotFoundError extends AltCLIPError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('model_not_found', message, options);
  }
}

/** The hub refused the request (401/403): a private or gated repo needs a token. */
export class HubAuthError extends AltCLIPError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('hub_unauthorized', message, options);
  }
}

/** Inputs to a model call have the wrong type, shape or values. */
export class InputError extends AltCLIPError {
  constructor(message: string) {
    super('invalid_input', message);
  }
}

/** No backend could be found or initialised for a request. */
export class BackendError extends AltCLIPError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('backend_unavailable', message, options);
  }
}
