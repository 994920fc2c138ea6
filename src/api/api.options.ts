/** Options of {@link ApiModule}. */
export interface ApiModuleOptions {
  /** Bearer token every `/calls` request must present. At least 16 characters. */
  token: string;
}

export function resolveApiOptions(options: ApiModuleOptions): ApiModuleOptions {
  if (typeof options.token !== 'string' || options.token.length < 16) {
    throw new Error('ApiModule: token must be at least 16 characters');
  }
  return { token: options.token };
}
