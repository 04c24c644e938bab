/** Where a decoder's WebAssembly binary comes from: a compiled module, its bytes, or a URL to fetch. */
export type WasmSource = WebAssembly.Module | ArrayBuffer | Uint8Array | URL | string;

export async function compileWasm(source: WasmSource): Promise<WebAssembly.Module> {
  if (source instanceof WebAssembly.Module) return source;
  if (source instanceof ArrayBuffer || source instanceof Uint8Array)
    return WebAssembly.compile(source as BufferSource);
  const response = await fetch(source);
  if (!response.ok) throw new Error(`fetching ${String(source)} failed: HTTP ${response.status}`);
  return WebAssembly.compile(await response.arrayBuffer());
}
