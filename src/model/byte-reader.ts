// One file read by byte range: a File on disk (read as it is needed, never copied whole), bytes
// already in memory, or a remote file whose server answers Range requests. The GGUF loader reads
// the header and then each tensor through this, so a model is never one giant ArrayBuffer and a
// dropped file is read straight from disk.

export interface ByteReader {
  /** The file's size in bytes. */
  readonly size: number;
  /** Bytes [start, end) of the file, exactly end - start of them (a short read throws). */
  read(start: number, end: number, signal?: AbortSignal): Promise<Uint8Array>;
}

function checkRange(size: number, start: number, end: number): void {
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || start < 0 || end < start || end > size) {
    throw new RangeError(`byte range [${start}, ${end}) is outside the file's ${size} bytes`);
  }
}

/** Bytes in memory; reads are views, not copies. */
export function bytesReader(bytes: Uint8Array): ByteReader {
  return {
    size: bytes.byteLength,
    read: async (start, end, signal) => {
      signal?.throwIfAborted();
      checkRange(bytes.byteLength, start, end);
      return bytes.subarray(start, end);
    },
  };
}

/** A File or Blob: each read is a slice of it, read from disk when asked. */
export function blobReader(blob: Blob, name = 'file'): ByteReader {
  return {
    size: blob.size,
    read: async (start, end, signal) => {
      signal?.throwIfAborted();
      checkRange(blob.size, start, end);
      let bytes: Uint8Array;
      try {
        bytes = new Uint8Array(await blob.slice(start, end).arrayBuffer());
      } catch (err) {
        // A file that changed or vanished on disk since it was picked: Chromium's NotReadableError.
        throw new Error(`${name}: cannot be read (${err instanceof Error ? err.message : String(err)}); was it moved or changed since it was opened?`, { cause: err });
      }
      if (bytes.byteLength !== end - start) throw new Error(`${name}: read ${bytes.byteLength} of ${end - start} bytes at ${start}; the file changed since it was opened`);
      return bytes;
    },
  };
}
