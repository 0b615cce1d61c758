/** A real SMTP server on loopback (smtp-server) that keeps what it received, parsed. */
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';

export interface TestSmtp {
  readonly url: string;
  readonly received: ParsedMail[];
  /** SMTP reply codes to answer the next DATA commands with instead of accepting. */
  readonly rejectNext: number[];
  close(): Promise<void>;
}

export interface SmtpOptions {
  /** Called with each message once received, before the server answers 250 (a test may kill the sender there). */
  readonly onMessage?: (mail: ParsedMail) => void;
  /** Recipients the server refuses at RCPT TO with a 550 (a mailbox that does not exist). */
  readonly refuse?: (address: string) => boolean;
  /** Wait this long before accepting each message (a slow server, so senders overlap). */
  readonly delayMs?: number;
}

export async function startSmtp(options: SmtpOptions = {}): Promise<TestSmtp> {
  const received: ParsedMail[] = [];
  const rejectNext: number[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onRcptTo(address, _session, callback) {
      if (options.refuse?.(address.address)) return callback(Object.assign(new Error(`<${address.address}>: mailbox unavailable`), { responseCode: 550 }));
      callback();
    },
    onData(stream, _session, callback) {
      const code = rejectNext.shift();
      if (code !== undefined) {
        stream.resume();
        stream.on('end', () => callback(Object.assign(new Error(code >= 500 ? 'mailbox unavailable' : 'try again later'), { responseCode: code })));
        return;
      }
      simpleParser(stream)
        .then(async (mail) => {
          if (options.delayMs) await new Promise((resolve) => setTimeout(resolve, options.delayMs));
          received.push(mail);
          options.onMessage?.(mail);
          callback();
        })
        .catch(callback);
    },
  });
  // A client killed mid-conversation (tests and the fault harness SIGKILL senders) makes the
  // server's next write fail (EPIPE, ECONNRESET): the server outlives it, as a real one does.
  server.on('error', () => undefined);
  const port = await new Promise<number>((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.server.address() as { port: number }).port)));
  return {
    url: `smtp://127.0.0.1:${port}?ignoreTLS=true`,
    received,
    rejectNext,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
