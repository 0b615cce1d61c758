/** Errors of the API's security layer; the HTTP layer maps them to 401 and 403 (6.1). */

/** No token, or a token that cannot be trusted: 401. */
export class AuthenticationError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'AuthenticationError';
  }
}

/** A valid token without the role the endpoint needs: 403. */
export class AccessDeniedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AccessDeniedError';
  }
}
