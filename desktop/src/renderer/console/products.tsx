/**
 * The owner's products: search and list (active or not), create and edit (a decimal price
 * field that sends integer minor units), and the product's pictures: added by dropping files or
 * with the file picker (previews while they upload, each file's own error), put in order (the
 * first is the main one) and deleted.
 */
import type { JSX } from 'preact'
import { useEffect, useRef, useState } from 'preact/hooks'
import type { CreateProduct, Image, Product, UpdateProduct } from '../../shared/api.ts'
import { api } from '../api.ts'
import { minorDigits, parseAmount } from '../money.ts'
import { Empty, ErrorBox, Money, PageLoading, SkeletonRows, problemOf } from '../ui.tsx'
import { ShowMore, usePaged } from './paging.tsx'

const go = (path: string) => (location.hash = path)
const STATUSES: [value: string, label: string][] = [
  ['all', 'All products'],
  ['active', 'On sale'],
  ['inactive', 'Not on sale'],
]

export function ProductList({ q, status }: { q: string; status: string }) {
  const [search, setSearch] = useState(q)
  const list = usePaged((cursor) => api.adminProducts({ q: q || undefined, status: (status || 'all') as 'all', sort: q ? undefined : 'name', cursor }), [q, status])
  const products = list.items

  const address = (nextQ: string, nextStatus: string) => {
    const params = new URLSearchParams()
    if (nextQ) params.set('q', nextQ)
    if (nextStatus && nextStatus !== 'all') params.set('status', nextStatus)
    return `/admin/products${params.size ? `?${params}` : ''}`
  }

  return (
    <main>
      <h1 tabIndex={-1}>Products</h1>
      <div class="toolbar">
        <form
          class="console-filters"
          role="search"
          onSubmit={(e) => {
            e.preventDefault()
            go(address(search.trim(), status))
          }}
        >
          <label>
            Search
            <input name="q" type="search" value={search} onInput={(e) => setSearch(e.currentTarget.value)} placeholder="Name or words" />
          </label>
          <label>
            Show
            <select name="status" value={status || 'all'} onChange={(e) => go(address(q, e.currentTarget.value))}>
              {STATUSES.map(([value, label]) => (
                <option key={value} value={value}>
                  {label}
                </option>
              ))}
            </select>
          </label>
          <button type="submit">Find</button>
        </form>
        <a class="button" href="#/admin/products/new">
          New product
        </a>
      </div>
      <ErrorBox error={list.error} onRetry={list.reload} />
      {products === null ? (
        !list.error && <SkeletonRows count={5} height="3.5rem" label="Loading products…" />
      ) : products.length === 0 ? (
        <Empty>{q ? `No product matches “${q}”.` : 'No products yet. Add the first with “New product”.'}</Empty>
      ) : (
        <table class="product-table">
          <thead>
            <tr>
              <th scope="col">
                <span class="visually-hidden">Picture</span>
              </th>
              <th scope="col">Product</th>
              <th scope="col">Category</th>
              <th scope="col" class="num">
                Price
              </th>
              <th scope="col" class="num">
                Available
              </th>
              <th scope="col">On sale</th>
            </tr>
          </thead>
          <tbody>
            {products.map((p) => (
              <tr key={p.id} data-product={p.name}>
                <td class="thumb-cell">
                  {p.images[0] ? <img src={p.images[0].thumbnailUrl} width={48} height={48} alt="" /> : <span class="placeholder small-placeholder" aria-hidden="true">{p.name.slice(0, 1)}</span>}
                </td>
                <td>
                  <a href={`#/admin/products/${p.id}`}>{p.name}</a>
                </td>
                <td>{p.category}</td>
                <td class="num">
                  <Money minor={p.price} currency={p.currency} />
                </td>
                <td class="num">
                  {p.available} <span class="muted">of {p.stock}</span>
                </td>
                <td>{p.active ? 'Yes' : <span class="muted">No</span>}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <ShowMore list={list} label="Show more products" />
    </main>
  )
}

/** A decimal of the currency (12.50) from minor units, for the price field. */
function decimalOf(minor: number, currency: string): string {
  const digits = minorDigits(currency)
  if (digits === 0) return String(minor)
  const text = String(minor).padStart(digits + 1, '0')
  return `${text.slice(0, -digits)}.${text.slice(-digits)}`
}

type Field = 'name' | 'category' | 'price' | 'currency' | 'stock' | 'description'

export function ProductEditor({ id }: { id: string }) {
  const creating = id === 'new'
  const [product, setProduct] = useState<Product | null>(null)
  const [loadError, setLoadError] = useState<unknown>(null)
  const [name, setName] = useState('')
  const [description, setDescription] = useState('')
  const [category, setCategory] = useState('')
  const [price, setPrice] = useState('')
  const [currency, setCurrency] = useState('EUR')
  const [stock, setStock] = useState('0')
  const [active, setActive] = useState(true)
  const [tried, setTried] = useState(false)
  const [saving, setSaving] = useState(false)
  const [saveError, setSaveError] = useState<unknown>(null)
  const [saved, setSaved] = useState<string | null>(null)

  const fill = (p: Product) => {
    setProduct(p)
    setName(p.name)
    setDescription(p.description)
    setCategory(p.category)
    setPrice(decimalOf(p.price, p.currency))
    setCurrency(p.currency)
    setStock(String(p.stock))
    setActive(p.active)
  }

  useEffect(() => {
    setSaved(null)
    if (creating) return
    setProduct(null)
    api.adminProduct(id).then(fill, setLoadError)
  }, [id])

  if (!creating && !product)
    return (
      <PageLoading error={loadError} title="Product" notFoundTitle="Product not found" onRetry={() => (setLoadError(null), api.adminProduct(id).then(fill, setLoadError))} notFound={<p>No product has this address. <a href="#/admin/products">Back to the products</a></p>} />
    )

  // What is wrong with each field, in words (checked before sending; the server checks again).
  const currencyCode = currency.trim().toUpperCase()
  const parsedPrice = /^[A-Z]{3}$/.test(currencyCode) ? parseAmount(price, currencyCode) : null
  const problems: Partial<Record<Field, string>> = {}
  if (!name.trim()) problems.name = 'Give the product a name.'
  else if ([...name.trim()].length > 200) problems.name = 'At most 200 characters.'
  if (!category.trim()) problems.category = 'Say which category it belongs to.'
  else if ([...category.trim()].length > 60) problems.category = 'At most 60 characters.'
  if (!/^[A-Z]{3}$/.test(currencyCode)) problems.currency = 'A three-letter ISO code, such as EUR.'
  else if (parsedPrice && !parsedPrice.ok) problems.price = parsedPrice.error
  if ([...description].length > 5000) problems.description = 'At most 5000 characters.'
  if (creating && !/^\d{1,10}$/.test(stock.trim())) problems.stock = 'A whole number of units, 0 or more.'
  // The server's own words for a field it refused.
  for (const e of problemOf(saveError)?.errors ?? []) if (['name', 'category', 'price', 'currency', 'stock', 'description'].includes(e.field) && !problems[e.field as Field]) problems[e.field as Field] = e.message
  const shown = (field: Field) => (tried || problemOf(saveError)?.errors?.some((e) => e.field === field) ? problems[field] : undefined)

  const save = async (e: Event) => {
    e.preventDefault()
    setTried(true)
    setSaved(null)
    if (Object.keys(problems).length > 0 || !parsedPrice?.ok) return
    setSaving(true)
    setSaveError(null)
    try {
      if (creating) {
        const input: CreateProduct = { name: name.trim(), category: category.trim(), price: parsedPrice.minor, currency: currencyCode, stock: Number(stock.trim()), ...(description.trim() ? { description: description.trim() } : {}) }
        const made = await api.createProduct(input)
        if (!active) await api.updateProduct(made.id, { active: false })
        go(`/admin/products/${made.id}`)
        return
      }
      const changes: UpdateProduct = {}
      if (name.trim() !== product!.name) changes.name = name.trim()
      if (description.trim() !== product!.description) changes.description = description.trim()
      if (category.trim() !== product!.category) changes.category = category.trim()
      if (parsedPrice.minor !== product!.price) changes.price = parsedPrice.minor
      if (currencyCode !== product!.currency) changes.currency = currencyCode
      if (active !== product!.active) changes.active = active
      if (Object.keys(changes).length === 0) return setSaved('Nothing changed.')
      fill(await api.updateProduct(product!.id, changes))
      setTried(false)
      setSaved('Saved.')
    } catch (error) {
      setSaveError(error)
    } finally {
      setSaving(false)
    }
  }

  const field = (key: Field, label: string, input: JSX.Element, hint?: string) => (
    <div class="field">
      <label>
        {label}
        {input}
      </label>
      {hint && !shown(key) && <p class="hint muted">{hint}</p>}
      {shown(key) && (
        <p id={`${key}-error`} class="error field-error">
          {shown(key)}
        </p>
      )}
    </div>
  )
  const invalid = (key: Field) => ({ 'aria-invalid': !!shown(key), 'aria-describedby': shown(key) ? `${key}-error` : undefined })

  return (
    <main class="product-editor">
      <p>
        <a href="#/admin/products">← Products</a>
      </p>
      <h1 tabIndex={-1}>{creating ? 'New product' : product!.name}</h1>
      <form class="card editor-form" noValidate onSubmit={save}>
        {field('name', 'Name', <input name="name" value={name} maxLength={200} onInput={(e) => setName(e.currentTarget.value)} {...invalid('name')} />)}
        {field('category', 'Category', <input name="category" value={category} maxLength={60} onInput={(e) => setCategory(e.currentTarget.value)} {...invalid('category')} />)}
        <div class="pair">
          {field(
            'price',
            'Price',
            <input name="price" inputMode="decimal" value={price} placeholder="12.50" onInput={(e) => setPrice(e.currentTarget.value)} {...invalid('price')} />,
            'In the currency beside it, such as 12.50.',
          )}
          {field('currency', 'Currency', <input name="currency" value={currency} maxLength={3} autocapitalize="characters" onInput={(e) => setCurrency(e.currentTarget.value)} {...invalid('currency')} />)}
        </div>
        {creating
          ? field('stock', 'Units in stock', <input name="stock" inputMode="numeric" value={stock} onInput={(e) => setStock(e.currentTarget.value)} {...invalid('stock')} />, 'Later changes go through Inventory (a supply or an adjustment with its reason).')
          : (
            <p class="muted">
              {product!.stock} in stock, {product!.available} available. <a href={`#/admin/inventory/${product!.id}`}>Change the stock in Inventory</a>
            </p>
          )}
        {field('description', 'Description', <textarea name="description" rows={5} value={description} onInput={(e) => setDescription(e.currentTarget.value)} {...invalid('description')} />)}
        <label class="check">
          <input type="checkbox" name="active" checked={active} onChange={(e) => setActive(e.currentTarget.checked)} /> On sale (shown in the shop and orderable)
        </label>
        {saveError && !problemOf(saveError)?.errors?.length ? <ErrorBox error={saveError} /> : null}
        <div class="actions">
          <button type="submit" disabled={saving}>
            {creating ? 'Create the product' : 'Save changes'}
          </button>
          {saved && (
            <span class="success" role="status">
              {saved}
            </span>
          )}
        </div>
      </form>
      {creating ? (
        <p class="muted">Pictures can be added once the product is created.</p>
      ) : (
        <Pictures product={product!} onChange={(images) => setProduct((p) => p && { ...p, images })} />
      )}
    </main>
  )
}

const TYPES = ['image/png', 'image/jpeg', 'image/webp']
const MAX_BYTES = 5 * 1024 * 1024

interface Upload {
  key: string
  name: string
  preview: string
  error?: string
}

function Pictures({ product, onChange }: { product: Product; onChange: (images: Image[]) => void }) {
  const [uploads, setUploads] = useState<Upload[]>([])
  const [error, setError] = useState<unknown>(null)
  const [busy, setBusy] = useState(false)
  const [over, setOver] = useState(false)
  const [said, setSaid] = useState<string | null>(null)
  const input = useRef<HTMLInputElement>(null)
  const images = product.images

  // Previews are object URLs: freed when they go, and those still shown when the page goes.
  const shownUploads = useRef(uploads)
  shownUploads.current = uploads
  useEffect(() => () => shownUploads.current.forEach((u) => URL.revokeObjectURL(u.preview)), [])

  const add = async (files: File[]) => {
    setError(null)
    setSaid(null)
    let current = images
    for (const file of files) {
      const upload: Upload = { key: crypto.randomUUID(), name: file.name, preview: URL.createObjectURL(file) }
      const fail = (message: string) => setUploads((list) => list.map((u) => (u.key === upload.key ? { ...u, error: message } : u)))
      setUploads((list) => [...list, upload])
      if (!TYPES.includes(file.type)) {
        fail('Not a PNG, JPEG or WebP picture.')
        continue
      }
      if (file.size > MAX_BYTES) {
        fail('Larger than 5 MB.')
        continue
      }
      try {
        const image = await api.uploadImage(product.id, { name: file.name, type: file.type, bytes: new Uint8Array(await file.arrayBuffer()) })
        current = [...current, image]
        onChange(current)
        URL.revokeObjectURL(upload.preview)
        setUploads((list) => list.filter((u) => u.key !== upload.key))
        setSaid(`${file.name} added.`)
      } catch (e) {
        fail(problemOf(e)?.detail ?? 'The upload failed.')
      }
    }
  }

  const move = async (index: number, by: number) => {
    const ids = images.map((i) => i.id)
    const [moved] = ids.splice(index, 1)
    ids.splice(index + by, 0, moved!)
    setBusy(true)
    setError(null)
    try {
      onChange(await api.reorderImages(product.id, ids))
      setSaid(index + by === 0 ? 'This is now the main picture.' : `Moved to place ${index + by + 1}.`)
    } catch (e) {
      setError(e)
    } finally {
      setBusy(false)
    }
  }

  const remove = async (image: Image) => {
    setBusy(true)
    setError(null)
    try {
      await api.deleteImage(product.id, image.id)
      onChange(images.filter((i) => i.id !== image.id))
      setSaid('Picture deleted.')
    } catch (e) {
      setError(e)
    } finally {
      setBusy(false)
    }
  }

  return (
    <section class="card pictures" aria-labelledby="pictures">
      <h2 id="pictures">Pictures</h2>
      <p class="muted small">The first is the main picture, shown on the product's card. PNG, JPEG or WebP up to 5 MB each.</p>
      <ErrorBox error={error} />
      <p class="visually-hidden" role="status">
        {said}
      </p>
      {images.length === 0 && uploads.length === 0 && <p class="muted">No pictures yet: the shop shows a placeholder.</p>}
      <ol class="picture-list">
        {images.map((image, i) => (
          <li key={image.id} data-image={image.id}>
            <img src={image.thumbnailUrl} width={image.thumbnailWidth} height={image.thumbnailHeight} alt={`Picture ${i + 1} of ${product.name}`} />
            <div class="picture-actions">
              <button class="secondary" disabled={busy || i === 0} onClick={() => move(i, -1)} aria-label={`Move picture ${i + 1} earlier`}>
                ←
              </button>
              <button class="secondary" disabled={busy || i === images.length - 1} onClick={() => move(i, 1)} aria-label={`Move picture ${i + 1} later`}>
                →
              </button>
              <button class="secondary" disabled={busy} onClick={() => remove(image)} aria-label={`Delete picture ${i + 1}`}>
                Delete
              </button>
            </div>
          </li>
        ))}
        {uploads.map((u) => (
          <li key={u.key} class={u.error ? 'upload failed' : 'upload'}>
            <img src={u.preview} width={160} height={160} alt={`${u.name}, ${u.error ? 'not added' : 'uploading'}`} />
            <p class={u.error ? 'error small' : 'muted small'}>{u.error ?? 'Uploading…'}</p>
            {u.error && (
              <button class="secondary" onClick={() => (URL.revokeObjectURL(u.preview), setUploads((list) => list.filter((x) => x.key !== u.key)))}>
                Dismiss
              </button>
            )}
          </li>
        ))}
      </ol>
      <div
        class={over ? 'dropzone over' : 'dropzone'}
        onDragOver={(e) => (e.preventDefault(), setOver(true))}
        onDragLeave={() => setOver(false)}
        onDrop={(e) => {
          e.preventDefault()
          setOver(false)
          void add([...(e.dataTransfer?.files ?? [])])
        }}
      >
        <p>Drop pictures here, or</p>
        <button type="button" class="secondary" onClick={() => input.current?.click()}>
          Choose pictures…
        </button>
        <input
          ref={input}
          class="visually-hidden"
          type="file"
          name="pictures"
          accept={TYPES.join(',')}
          multiple
          tabIndex={-1}
          aria-label="Pictures to add"
          onChange={(e) => {
            const files = [...(e.currentTarget.files ?? [])]
            e.currentTarget.value = ''
            void add(files)
          }}
        />
      </div>
    </section>
  )
}
