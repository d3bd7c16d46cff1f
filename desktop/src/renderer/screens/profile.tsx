/**
 * The customer's profile (`#/profile`): name, email (with the current password), a new password
 * (which signs out every other session), the address book, and sign out.
 */
import { useEffect, useState } from 'preact/hooks'
import type { Address, User } from '../../shared/api.ts'
import { api } from '../api.ts'
import { Empty, ErrorBox, Loading } from '../ui.tsx'
import { AddAddress } from './cart.tsx'

function ChangeForm({ title, children, submit, done }: { title: string; children: preact.ComponentChildren; submit: () => Promise<void>; done: string }) {
  const [error, setError] = useState<unknown>(null)
  const [busy, setBusy] = useState(false)
  const [ok, setOk] = useState(false)
  return (
    <form
      class="card"
      onSubmit={async (e) => {
        e.preventDefault()
        setBusy(true)
        setError(null)
        setOk(false)
        try {
          await submit()
          setOk(true)
        } catch (err) {
          setError(err)
        } finally {
          setBusy(false)
        }
      }}
    >
      <h2>{title}</h2>
      {children}
      <ErrorBox error={error} />
      {ok && (
        <p class="success" role="status">
          {done}
        </p>
      )}
      <button type="submit" disabled={busy}>
        {busy ? 'Saving…' : 'Save'}
      </button>
    </form>
  )
}

export function ProfileScreen({ user, onChanged, onSignOut }: { user: User; onChanged: (user: User) => void; onSignOut: () => void }) {
  const [name, setName] = useState(user.name)
  const [email, setEmail] = useState(user.email)
  const [emailPassword, setEmailPassword] = useState('')
  const [current, setCurrent] = useState('')
  const [fresh, setFresh] = useState('')
  const [addresses, setAddresses] = useState<Address[] | undefined>(undefined)
  const [adding, setAdding] = useState(false)
  const [error, setError] = useState<unknown>(null)

  useEffect(() => {
    api.addresses().then(setAddresses, (e) => (setError(e), setAddresses([])))
  }, [])

  return (
    <main class="profile">
      <h1 tabIndex={-1}>Your profile</h1>
      <ChangeForm title="Name" done="Your name is changed." submit={async () => onChanged(await api.updateMe({ name }))}>
        <label>
          Name
          <input name="name" required value={name} autocomplete="name" onInput={(e) => setName(e.currentTarget.value)} />
        </label>
      </ChangeForm>
      <ChangeForm
        title="Email"
        done="Your email is changed."
        submit={async () => {
          onChanged(await api.updateMe({ email, currentPassword: emailPassword }))
          setEmailPassword('')
        }}
      >
        <label>
          Email
          <input name="email" type="email" required value={email} autocomplete="username" onInput={(e) => setEmail(e.currentTarget.value)} />
        </label>
        <label>
          Current password
          <input name="email-current-password" type="password" required value={emailPassword} autocomplete="current-password" onInput={(e) => setEmailPassword(e.currentTarget.value)} />
        </label>
      </ChangeForm>
      <ChangeForm
        title="Password"
        done="Your password is changed; every other device was signed out."
        submit={async () => {
          await api.updateMe({ password: fresh, currentPassword: current })
          setCurrent('')
          setFresh('')
        }}
      >
        <label>
          Current password
          <input name="current-password" type="password" required value={current} autocomplete="current-password" onInput={(e) => setCurrent(e.currentTarget.value)} />
        </label>
        <label>
          New password
          <input name="new-password" type="password" required minLength={10} value={fresh} autocomplete="new-password" onInput={(e) => setFresh(e.currentTarget.value)} />
        </label>
      </ChangeForm>

      <section class="card" aria-labelledby="addresses-heading">
        <h2 id="addresses-heading">Address book</h2>
        <ErrorBox error={error} />
        {addresses === undefined ? (
          <Loading label="Loading your addresses…" />
        ) : addresses.length === 0 && !adding ? (
          <Empty>No addresses yet. Add one here or at checkout.</Empty>
        ) : (
          <ul class="address-list">
            {addresses.map((a) => (
              <li key={a.id}>
                <span>
                  <strong>{a.name}</strong>, {a.line1}
                  {a.line2 ? `, ${a.line2}` : ''}, {a.postalCode} {a.city}, {a.country}
                </span>
                <button
                  class="secondary"
                  aria-label={`Delete the address ${a.name}, ${a.line1}`}
                  onClick={async () => {
                    setError(null)
                    try {
                      await api.deleteAddress(a.id)
                      setAddresses((list) => list?.filter((x) => x.id !== a.id))
                    } catch (e) {
                      setError(e)
                    }
                  }}
                >
                  Delete
                </button>
              </li>
            ))}
          </ul>
        )}
        {adding ? (
          <AddAddress onAdded={(a) => (setAddresses((list) => [a, ...(list ?? [])]), setAdding(false))} onCancel={() => setAdding(false)} />
        ) : (
          <button class="secondary" onClick={() => setAdding(true)}>
            Add an address
          </button>
        )}
      </section>
      <p>
        <button class="secondary" onClick={onSignOut}>
          Sign out
        </button>
      </p>
    </main>
  )
}
