// Types of reliability.mjs (a plain Node module, so that test.mjs runs it without a TypeScript loader).
export interface TestRef { file: string; title?: RegExp }
export interface FaultClass { fault: string; promise: string; tests: TestRef[] }
export interface RanTest { file: string; title: string; passed: boolean }
export interface ReliabilityRow { fault: string; promise: string; tests: number; cases: number; failed: number; outcome: string; lost: string }
export const FAULT_CLASSES: FaultClass[];
export function fuzzRuns(env?: Record<string, string | undefined>): number;
export function collectTests(vitest: unknown, playwright: unknown, root: string): RanTest[];
export function casesOf(title: string): number;
export function reliabilityRows(tests: RanTest[], classes?: FaultClass[]): ReliabilityRow[];
export function reliabilityMarkdown(rows: ReliabilityRow[], options?: { date?: string; runs?: number }): string;
