/**
 * Boots the emulators together and wires them the way the real services are wired: Twilio dials Retell over SIP,
 * both reach the app through its public URL. The app needs the emulators' URLs before it starts, and the emulators
 * need the app's real address after: hence {@link EmulatorStack.attachApp}.
 */
import { AgentStreamEmulator, type AgentStreamEmulatorOptions } from './agent-stream-emulator.js';
import { RetellEmulator, type RetellEmulatorOptions } from './retell-emulator.js';
import { TwilioEmulator, type TwilioEmulatorOptions } from './twilio-emulator.js';

/** Options of {@link startEmulatorStack}. */
export interface EmulatorStackOptions {
  /** What the app believes its URL is, e.g. `https://callbridge.test`. */
  readonly publicUrl: string;
  readonly twilio?: Partial<Omit<TwilioEmulatorOptions, 'retell' | 'app'>>;
  readonly retell?: Partial<Omit<RetellEmulatorOptions, 'urlMap'>>;
  /** Start an upstream raw-audio agent too (relay mode). */
  readonly agent?: AgentStreamEmulatorOptions;
}

/** Running emulators and the settings to give the app. */
export interface EmulatorStack {
  readonly twilio: TwilioEmulator;
  readonly retell: RetellEmulator;
  readonly agent?: AgentStreamEmulator;
  /** Environment variables pointing the app at the emulators (merge over the rest of its config). */
  readonly env: Readonly<Record<string, string>>;
  /** Where the app really listens (e.g. `http://127.0.0.1:41234`), once it does. */
  attachApp(appUrl: string): void;
  close(): Promise<void>;
}

/** Test credentials that pass the app's config validation. */
export const EMULATOR_DEFAULTS = {
  accountSid: 'AC' + '0123456789abcdef'.repeat(2),
  authToken: 'emulated_twilio_auth_token',
  retellApiKey: 'key_emulated_retell_api',
  agentId: 'agent_emulated',
} as const;

/** Starts Retell, Twilio (and optionally the agent) emulators on free ports. */
export async function startEmulatorStack(options: EmulatorStackOptions): Promise<EmulatorStack> {
  const publicUrl = options.publicUrl.replace(/\/+$/, '');
  const apiKey = options.retell?.apiKey ?? EMULATOR_DEFAULTS.retellApiKey;
  const retell = new RetellEmulator({ webhookUrl: `${publicUrl}/retell/webhook`, ...options.retell, apiKey });
  const twilio = new TwilioEmulator({
    accountSid: EMULATOR_DEFAULTS.accountSid,
    authToken: EMULATOR_DEFAULTS.authToken,
    number: { statusCallback: `${publicUrl}/twilio/status` },
    ...options.twilio,
    retell,
  });
  const agent = options.agent ? new AgentStreamEmulator(options.agent) : undefined;
  try {
    await retell.start();
    await twilio.start();
    await agent?.start();
  } catch (err) {
    await Promise.allSettled([twilio.close(), retell.close(), agent?.close()]);
    throw err;
  }
  const env: Record<string, string> = {
    PUBLIC_URL: publicUrl,
    TWILIO_ACCOUNT_SID: options.twilio?.accountSid ?? EMULATOR_DEFAULTS.accountSid,
    TWILIO_AUTH_TOKEN: options.twilio?.authToken ?? EMULATOR_DEFAULTS.authToken,
    TWILIO_API_BASE_URL: twilio.baseUrl,
    RETELL_API_KEY: apiKey,
    RETELL_AGENT_ID: EMULATOR_DEFAULTS.agentId,
    RETELL_BASE_URL: retell.baseUrl,
    RETELL_SIP_DOMAIN: retell.sipDomain,
  };
  if (agent) env.AGENT_STREAM_URL = `${agent.url}/agent`;
  return {
    twilio,
    retell,
    agent,
    env,
    attachApp: (appUrl) => twilio.configureApp({ publicUrl, appUrl }),
    close: async () => {
      // Calls first (their last webhooks need Retell), then the rest.
      await twilio.close();
      await Promise.all([retell.close(), agent?.close()]);
    },
  };
}
