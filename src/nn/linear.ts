// Being written.
export {};
