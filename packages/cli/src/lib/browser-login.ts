import type { InfraClient, LoginResponse, Provider } from '@infra/client-sdk'
import { spawn } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { CliError, type Context } from './context.js'

const CALLBACK_PATH = '/callback'

/** Issuers are compared and extended without their trailing slashes. */
const issuerUrl = (url: string) => url.replace(/\/+$/, '')
const WAIT_MS = 5 * 60_000

/**
 * Browser login through an identity provider (OAuth 2.0 for native apps, RFC 8252): a one-time listener on a
 * loopback port receives the provider's redirect; the code, bound to this login by PKCE, goes to the Infra
 * server, which exchanges it with the client secret only it holds.
 */
export async function browserLogin(
  ctx: Context,
  client: InfraClient,
  providerName: string,
): Promise<LoginResponse> {
  const provider = (await client.providers.list({ name: providerName })).items[0]
  if (!provider) {
    throw new CliError(`no identity provider named "${providerName}"`, 'see infra providers list')
  }
  const authorizationEndpoint = provider.authURL || (await discoverAuthorizationEndpoint(provider))
  const state = randomBytes(16).toString('base64url')
  const verifier = randomBytes(32).toString('base64url')
  const listener = await listenOnLoopback()
  try {
    const redirectURL = `http://127.0.0.1:${(listener.address() as AddressInfo).port}${CALLBACK_PATH}`
    const url = new URL(authorizationEndpoint)
    url.searchParams.set('client_id', provider.clientID)
    url.searchParams.set('redirect_uri', redirectURL)
    url.searchParams.set('response_type', 'code')
    url.searchParams.set('scope', provider.scopes.join(' '))
    url.searchParams.set('state', state)
    url.searchParams.set('code_challenge', createHash('sha256').update(verifier).digest('base64url'))
    url.searchParams.set('code_challenge_method', 'S256')
    const code = waitForCode(listener, state, provider)
    ctx.log.info(`Log in to ${provider.name} in your browser; if it does not open, visit:\n${url.href}`)
    openBrowser(ctx, url.href)
    return await client.login({
      oidc: { providerID: provider.id, redirectURL, code: await code, codeVerifier: verifier },
    })
  } finally {
    listener.closeAllConnections()
    listener.close()
  }
}

async function discoverAuthorizationEndpoint(provider: Provider): Promise<string> {
  const wellKnown = `${issuerUrl(provider.url)}/.well-known/openid-configuration`
  try {
    const response = await fetch(wellKnown, { signal: AbortSignal.timeout(10_000) })
    const document = (await response.json()) as { authorization_endpoint?: unknown }
    if (typeof document.authorization_endpoint === 'string') return document.authorization_endpoint
  } catch {
    // reported below
  }
  throw new CliError(
    `could not find where to log in to ${provider.name} (${wellKnown})`,
    'check the provider URL with infra providers list',
  )
}

function listenOnLoopback(): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve(server))
  })
}

const page = (title: string, text: string) =>
  `<!doctype html><meta charset="utf-8"><title>${title}</title><body style="font-family:sans-serif"><h1>${title}</h1><p>${text}</p>`

/** Resolves to the code of the first redirect with this login's state; rejects on an error or after 5 minutes. */
function waitForCode(server: Server, state: string, provider: Provider): Promise<string> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new CliError('no answer from the browser within 5 minutes', 'run infra login again')),
      WAIT_MS,
    )
    timer.unref()
    server.on('request', (request, response) => {
      const url = new URL(request.url ?? '/', 'http://127.0.0.1')
      // Anything else reaching the port (a favicon, a stray request) is not the answer.
      if (url.pathname !== CALLBACK_PATH || url.searchParams.get('state') !== state) {
        response.writeHead(404).end()
        return
      }
      const issuer = url.searchParams.get('iss')
      const error = url.searchParams.get('error')
      const code = url.searchParams.get('code')
      let failure: string | undefined
      if (error)
        failure = `${provider.name} refused the login: ${url.searchParams.get('error_description') ?? error}`
      else if (issuer && issuerUrl(issuer) !== issuerUrl(provider.url))
        failure = `the answer came from ${issuer}, not ${provider.url}`
      else if (!code) failure = 'the browser came back without a code'
      response.writeHead(failure ? 400 : 200, { 'content-type': 'text/html; charset=utf-8' })
      response.end(
        failure
          ? page('Login failed', failure.replace(/[<>&]/g, ''))
          : page('Logged in to Infra', 'You can close this tab and go back to the terminal.'),
      )
      clearTimeout(timer)
      if (failure) reject(new CliError(failure, 'run infra login again'))
      else resolve(code ?? '')
    })
  })
}

/** $BROWSER when set (as many tools honor it), else the platform's opener. Failing to open is not an error. */
function openBrowser(ctx: Context, url: string): void {
  const [command, ...args] = ctx.env.BROWSER
    ? [ctx.env.BROWSER, url]
    : process.platform === 'darwin'
      ? ['open', url]
      : process.platform === 'win32'
        ? ['cmd', '/c', 'start', '""', url]
        : ['xdg-open', url]
  try {
    const child = spawn(command ?? 'xdg-open', args, { stdio: 'ignore', detached: true, env: ctx.env })
    child.on('error', () => ctx.log.debug(`could not start ${command}; open the address above yourself`))
    child.unref()
  } catch {
    ctx.log.debug(`could not start ${command}; open the address above yourself`)
  }
}
