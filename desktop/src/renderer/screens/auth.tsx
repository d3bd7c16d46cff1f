import { useState } from 'preact/hooks'
import type { User } from '../../shared/api.ts'
import { api } from '../api.ts'
import { ErrorBox } from '../ui.tsx'

export function AuthScreen({ onSignedIn }: { onSignedIn: (user: User) => void }) {
  const [mode, setMode] = useState<'login' | 'register'>('login')
  const [email, setEmail] = useState('')
  const [password, setPassword] = useState('')
  const [name, setName] = useState('')
  const [error, setError] = useState<unknown>(null)
  const [busy, setBusy] = useState(false)

  async function submit(event: Event) {
    event.preventDefault()
    setBusy(true)
    setError(null)
    try {
      if (mode === 'register') await api.register({ email, password, name })
      onSignedIn(await api.login({ email, password }))
    } catch (e) {
      setError(e)
    } finally {
      setBusy(false)
    }
  }

  return (
    <main class="auth">
      <h1 tabIndex={-1}>{mode === 'login' ? 'Sign in' : 'Create your account'}</h1>
      <form onSubmit={submit}>
        {mode === 'register' && (
          <label>
            Name
            <input name="name" value={name} onInput={(e) => setName(e.currentTarget.value)} required autocomplete="name" />
          </label>
        )}
        <label>
          Email
          <input name="email" type="email" value={email} onInput={(e) => setEmail(e.currentTarget.value)} required autocomplete="username" />
        </label>
        <label>
          Password
          <input
            name="password"
            type="password"
            value={password}
            onInput={(e) => setPassword(e.currentTarget.value)}
            required
            minLength={mode === 'register' ? 8 : 1}
            autocomplete={mode === 'register' ? 'new-password' : 'current-password'}
          />
        </label>
        <ErrorBox error={error} />
        <button type="submit" disabled={busy}>
          {busy ? 'Please wait…' : mode === 'login' ? 'Sign in' : 'Create account'}
        </button>
      </form>
      <p>
        {mode === 'login' ? 'New here? ' : 'Have an account? '}
        <button type="button" class="link" onClick={() => (setMode(mode === 'login' ? 'register' : 'login'), setError(null))}>
          {mode === 'login' ? 'Create an account' : 'Sign in'}
        </button>
      </p>
      {/* In a browser the shop is the server the page came from; the app asks which. */}
      {window.shop && <ServerSetting />}
    </main>
  )
}

function ServerSetting() {
  const [url, setUrl] = useState<string | null>(null)
  const [saved, setSaved] = useState(false)
  const [error, setError] = useState<unknown>(null)
  return (
    <details class="server" onToggle={async () => url === null && setUrl(await api.getServerUrl())}>
      <summary>Server</summary>
      <form
        onSubmit={async (e) => {
          e.preventDefault()
          setError(null)
          try {
            await api.setServerUrl(url ?? '')
            setSaved(true)
          } catch (err) {
            setError(err)
          }
        }}
      >
        <label>
          Server address
          <input name="server" value={url ?? ''} onInput={(e) => (setUrl(e.currentTarget.value), setSaved(false))} />
        </label>
        <ErrorBox error={error} />
        <button type="submit">Save</button> {saved && <span class="muted">Saved</span>}
      </form>
    </details>
  )
}
