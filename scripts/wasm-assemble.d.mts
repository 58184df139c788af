export function assembleWat(name: string, text: string): Promise<Uint8Array>;
export function watModuleSource(name: string, bytes: Uint8Array): string;
