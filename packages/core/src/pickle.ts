import { CheckpointError } from './errors.js';

/**
 * A restricted reader for the pickle inside a `torch.save` zip (`data.pkl`). It evaluates only the opcodes a
 * state_dict needs and resolves only an allow-list of globals (OrderedDict, torch's tensor rebuild
 * functions, storage types): nothing is ever executed. Written by hand because no maintained JS library
 * offers a safe, allow-listed unpickler; the format is small and fixed (Python's pickletools documents it).
 */

/** A `pickle.loads` that named a global outside the allow-list (for example `os.system`). */
export class UnsafePickleError extends CheckpointError {
  /** The refused global as `module.name`. */
  readonly global: string;
  constructor(file: string, global: string) {
    super(
      file,
      `the pickle references '${global}', which a state_dict never needs; refusing to load it (only tensors, storages and OrderedDicts are allowed)`,
    );
    this.global = global;
  }
}

/** The element type of a torch storage class. */
export interface TorchStorageType {
  /** Storage class name, e.g. `FloatStorage`. */
  readonly className: string;
  /** Safetensors-style dtype name (`F32`, `F16`, ...). */
  readonly dtype: string;
  readonly bytes: number;
}

const STORAGE_TYPES: Readonly<Record<string, TorchStorageType>> = Object.fromEntries(
  (
    [
      ['FloatStorage', 'F32', 4],
      ['HalfStorage', 'F16', 2],
      ['BFloat16Storage', 'BF16', 2],
      ['DoubleStorage', 'F64', 8],
      ['LongStorage', 'I64', 8],
      ['IntStorage', 'I32', 4],
      ['ShortStorage', 'I16', 2],
      ['CharStorage', 'I8', 1],
      ['ByteStorage', 'U8', 1],
      ['BoolStorage', 'BOOL', 1],
    ] as const
  ).map(([className, dtype, bytes]) => [className, { className, dtype, bytes }]),
);

/** A storage named by a persistent id: its raw bytes are the zip entry `<prefix>data/<key>`. */
export interface TorchStorageRef {
  readonly kind: 'storage';
  readonly type: TorchStorageType;
  readonly key: string;
  /** Elements in the storage. */
  readonly numel: number;
}

/** A tensor as `_rebuild_tensor_v2` describes it: a strided view into a storage. */
export interface TorchTensorRef {
  readonly kind: 'tensor';
  readonly storage: TorchStorageRef;
  /** In elements. */
  readonly storageOffset: number;
  readonly shape: readonly number[];
  /** In elements. */
  readonly stride: readonly number[];
}

class PyGlobal {
  constructor(
    readonly module: string,
    readonly name: string,
  ) {}
}

const MARK = Symbol('mark');

type PyValue = unknown;

const REBUILD_FUNCTIONS = new Set([
  'torch._utils._rebuild_tensor',
  'torch._utils._rebuild_tensor_v2',
  'torch._utils._rebuild_parameter',
  'torch._utils._rebuild_parameter_with_state',
]);

function isAllowedGlobal(module: string, name: string): boolean {
  const full = `${module}.${name}`;
  return (
    full === 'collections.OrderedDict' ||
    REBUILD_FUNCTIONS.has(full) ||
    (module === 'torch' && name in STORAGE_TYPES)
  );
}

function asInteger(file: string, value: PyValue, what: string): number {
  const n = typeof value === 'bigint' ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0) {
    throw new CheckpointError(file, `${what} must be a non-negative integer, got ${String(value)}`);
  }
  return n;
}

function asIntegerList(file: string, value: PyValue, what: string): number[] {
  if (!Array.isArray(value)) throw new CheckpointError(file, `${what} must be a tuple`);
  return value.map((v, i) => asInteger(file, v, `${what}[${i}]`));
}

function callAllowed(file: string, fn: PyGlobal, args: PyValue): PyValue {
  const full = `${fn.module}.${fn.name}`;
  if (!Array.isArray(args)) throw new CheckpointError(file, `arguments of ${full} are not a tuple`);
  if (full === 'collections.OrderedDict') {
    const map = new Map<PyValue, PyValue>();
    if (args.length > 0) {
      if (!Array.isArray(args[0]))
        throw new CheckpointError(file, 'OrderedDict argument is not a list of pairs');
      for (const pair of args[0] as PyValue[][]) map.set(pair[0], pair[1]);
    }
    return map;
  }
  if (full === 'torch._utils._rebuild_tensor' || full === 'torch._utils._rebuild_tensor_v2') {
    const [storage, offset, size, stride] = args as [TorchStorageRef, PyValue, PyValue, PyValue];
    if ((storage as { kind?: string })?.kind !== 'storage') {
      throw new CheckpointError(file, `${full} was not given a storage`);
    }
    const shape = asIntegerList(file, size, 'tensor size');
    const strides = asIntegerList(file, stride, 'tensor stride');
    if (strides.length !== shape.length) {
      throw new CheckpointError(file, `tensor size [${shape}] and stride [${strides}] differ in rank`);
    }
    const tensor: TorchTensorRef = {
      kind: 'tensor',
      storage,
      storageOffset: asInteger(file, offset, 'storage offset'),
      shape,
      stride: strides,
    };
    return tensor;
  }
  // _rebuild_parameter(data, requires_grad, backward_hooks[, state]): the parameter's data is the tensor.
  const [data] = args as [TorchTensorRef];
  if (data?.kind !== 'tensor') throw new CheckpointError(file, `${full} was not given a tensor`);
  return data;
}

/**
 * Evaluates a protocol 2-4 pickle of a `torch.save(state_dict)` and returns the top-level dict with its
 * tensors as storage references. Throws UnsafePickleError for any global outside the allow-list and
 * CheckpointError for anything malformed.
 */
export function unpickleStateDict(file: string, bytes: Uint8Array): Map<string, TorchTensorRef> {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const text = new TextDecoder('utf-8', { fatal: true });
  const latin1 = new TextDecoder('latin1');
  let pos = 0;
  const stack: PyValue[] = [];
  const memo = new Map<number, PyValue>();
  const fail = (message: string) => new CheckpointError(file, `data.pkl at byte ${pos}: ${message}`);

  const need = (n: number) => {
    if (pos + n > bytes.length) throw fail('the pickle is truncated');
  };
  const u8 = () => {
    need(1);
    return bytes[pos++];
  };
  const u16 = () => {
    need(2);
    const v = view.getUint16(pos, true);
    pos += 2;
    return v;
  };
  const u32 = () => {
    need(4);
    const v = view.getUint32(pos, true);
    pos += 4;
    return v;
  };
  const i32 = () => {
    need(4);
    const v = view.getInt32(pos, true);
    pos += 4;
    return v;
  };
  const u64 = () => {
    need(8);
    const v = view.getBigUint64(pos, true);
    pos += 8;
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw fail('length out of range');
    return Number(v);
  };
  const take = (n: number) => {
    need(n);
    const out = bytes.subarray(pos, pos + n);
    pos += n;
    return out;
  };
  const line = () => {
    const end = bytes.indexOf(0x0a, pos);
    if (end < 0) throw fail('the pickle is truncated');
    const out = latin1.decode(bytes.subarray(pos, end));
    pos = end + 1;
    return out;
  };
  const pop = () => {
    if (stack.length === 0) throw fail('stack underflow');
    return stack.pop();
  };
  const top = () => {
    if (stack.length === 0) throw fail('stack underflow');
    return stack[stack.length - 1];
  };
  const popMark = (): PyValue[] => {
    const at = stack.lastIndexOf(MARK);
    if (at < 0) throw fail('missing MARK');
    const items = stack.splice(at);
    items.shift();
    return items;
  };
  const asMap = (value: PyValue) => {
    if (!(value instanceof Map)) throw fail('SETITEM target is not a dict');
    return value as Map<PyValue, PyValue>;
  };
  const asList = (value: PyValue) => {
    if (!Array.isArray(value)) throw fail('APPEND target is not a list');
    return value as PyValue[];
  };
  const long = (data: Uint8Array) => {
    // Little-endian two's complement of any length.
    let v = 0n;
    for (let i = data.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(data[i]);
    if (data.length > 0 && data[data.length - 1] & 0x80) v -= 1n << BigInt(8 * data.length);
    return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
  };
  const global = (module: string, name: string) => {
    if (!isAllowedGlobal(module, name)) throw new UnsafePickleError(file, `${module}.${name}`);
    return new PyGlobal(module, name);
  };

  for (;;) {
    const opcode = u8();
    switch (opcode) {
      case 0x80: // PROTO
        if (u8() > 4) throw fail('pickle protocol above 4 is not supported');
        break;
      case 0x95: // FRAME: framing is only a read-ahead hint
        u64();
        break;
      case 0x2e: {
        // STOP
        const result = pop();
        if (!(result instanceof Map))
          throw new CheckpointError(file, 'data.pkl does not hold a dict of tensors');
        const tensors = new Map<string, TorchTensorRef>();
        for (const [key, value] of result) {
          if (typeof key !== 'string')
            throw new CheckpointError(file, `state_dict key ${String(key)} is not a string`);
          if ((value as TorchTensorRef)?.kind !== 'tensor') {
            throw new CheckpointError(file, `state_dict entry '${key}' is not a tensor`);
          }
          tensors.set(key, value as TorchTensorRef);
        }
        return tensors;
      }
      case 0x28: // MARK
        stack.push(MARK);
        break;
      case 0x7d: // EMPTY_DICT
        stack.push(new Map());
        break;
      case 0x5d: // EMPTY_LIST
        stack.push([]);
        break;
      case 0x29: // EMPTY_TUPLE
        stack.push([]);
        break;
      case 0x74: // TUPLE
        stack.push(popMark());
        break;
      case 0x85: // TUPLE1
        stack.push([pop()]);
        break;
      case 0x86: {
        // TUPLE2
        const b = pop();
        stack.push([pop(), b]);
        break;
      }
      case 0x87: {
        // TUPLE3
        const c = pop();
        const b = pop();
        stack.push([pop(), b, c]);
        break;
      }
      case 0x6c: // LIST
        stack.push(popMark());
        break;
      case 0x64: {
        // DICT
        const items = popMark();
        const map = new Map<PyValue, PyValue>();
        for (let i = 0; i + 1 < items.length; i += 2) map.set(items[i], items[i + 1]);
        stack.push(map);
        break;
      }
      case 0x4e: // NONE
        stack.push(null);
        break;
      case 0x88: // NEWTRUE
        stack.push(true);
        break;
      case 0x89: // NEWFALSE
        stack.push(false);
        break;
      case 0x4b: // BININT1
        stack.push(u8());
        break;
      case 0x4d: // BININT2
        stack.push(u16());
        break;
      case 0x4a: // BININT
        stack.push(i32());
        break;
      case 0x49: {
        // INT (text); protocol 0 writes booleans as 00 / 01
        const value = line();
        if (value === '00' || value === '01') stack.push(value === '01');
        else if (/^-?\d+$/.test(value)) stack.push(Number(value));
        else throw fail(`bad INT ${JSON.stringify(value)}`);
        break;
      }
      case 0x8a: // LONG1
        stack.push(long(take(u8())));
        break;
      case 0x8b: // LONG4
        stack.push(long(take(u32())));
        break;
      case 0x47: // BINFLOAT (big-endian)
        need(8);
        stack.push(view.getFloat64(pos, false));
        pos += 8;
        break;
      case 0x58: // BINUNICODE
      case 0x8c: // SHORT_BINUNICODE
      case 0x8d: {
        // BINUNICODE8
        const length = opcode === 0x58 ? u32() : opcode === 0x8c ? u8() : u64();
        try {
          stack.push(text.decode(take(length)));
        } catch (error) {
          if (error instanceof CheckpointError) throw error;
          throw fail('string is not valid UTF-8');
        }
        break;
      }
      case 0x54: // BINSTRING
      case 0x55: // SHORT_BINSTRING
        stack.push(latin1.decode(take(opcode === 0x54 ? u32() : u8())));
        break;
      case 0x42: // BINBYTES
      case 0x43: // SHORT_BINBYTES
      case 0x8e: // BINBYTES8
        stack.push(take(opcode === 0x42 ? u32() : opcode === 0x43 ? u8() : u64()).slice());
        break;
      case 0x71: // BINPUT
        memo.set(u8(), top());
        break;
      case 0x72: // LONG_BINPUT
        memo.set(u32(), top());
        break;
      case 0x94: // MEMOIZE
        memo.set(memo.size, top());
        break;
      case 0x68: // BINGET
      case 0x6a: {
        // LONG_BINGET
        const index = opcode === 0x68 ? u8() : u32();
        if (!memo.has(index)) throw fail(`memo entry ${index} is missing`);
        stack.push(memo.get(index));
        break;
      }
      case 0x30: // POP
        pop();
        break;
      case 0x31: // POP_MARK
        popMark();
        break;
      case 0x32: // DUP
        stack.push(top());
        break;
      case 0x63: {
        // GLOBAL "module\nname\n"
        const module = line();
        stack.push(global(module, line()));
        break;
      }
      case 0x93: {
        // STACK_GLOBAL
        const name = pop();
        const module = pop();
        if (typeof module !== 'string' || typeof name !== 'string')
          throw fail('STACK_GLOBAL needs two strings');
        stack.push(global(module, name));
        break;
      }
      case 0x51: {
        // BINPERSID: ('storage', StorageType, key, location, numel)
        const pid = pop();
        if (!Array.isArray(pid) || pid[0] !== 'storage' || pid.length < 5) {
          throw fail('persistent id is not a torch storage reference');
        }
        const [, type, key, , numel] = pid as [string, PyValue, PyValue, PyValue, PyValue];
        if (!(type instanceof PyGlobal) || !(type.name in STORAGE_TYPES)) {
          throw fail('persistent id does not name a storage type');
        }
        if (typeof key !== 'string') throw fail('storage key is not a string');
        const storage: TorchStorageRef = {
          kind: 'storage',
          type: STORAGE_TYPES[type.name],
          key,
          numel: asInteger(file, numel, 'storage size'),
        };
        stack.push(storage);
        break;
      }
      case 0x52: {
        // REDUCE
        const args = pop();
        const fn = pop();
        if (!(fn instanceof PyGlobal) || fn.name.endsWith('Storage')) throw fail('REDUCE of a non-callable');
        stack.push(callAllowed(file, fn, args));
        break;
      }
      case 0x62: {
        // BUILD: only the `_metadata` attribute state_dicts carry, which does not affect the tensors
        pop();
        if (!(top() instanceof Map)) throw fail('BUILD is only accepted on a dict');
        break;
      }
      case 0x73: {
        // SETITEM
        const value = pop();
        const key = pop();
        asMap(top()).set(key, value);
        break;
      }
      case 0x75: {
        // SETITEMS
        const items = popMark();
        const map = asMap(top());
        for (let i = 0; i + 1 < items.length; i += 2) map.set(items[i], items[i + 1]);
        break;
      }
      case 0x61: {
        // APPEND
        const value = pop();
        asList(top()).push(value);
        break;
      }
      case 0x65: {
        // APPENDS
        const items = popMark();
        asList(top()).push(...items);
        break;
      }
      default:
        throw fail(
          `unsupported pickle opcode 0x${opcode.toString(16).padStart(2, '0')} (not used by state_dicts)`,
        );
    }
  }
}
