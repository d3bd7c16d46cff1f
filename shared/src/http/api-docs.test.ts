import { describe, expect, test } from 'bun:test'
import { FormatRegistry } from '@sinclair/typebox'
import { Elysia, t } from 'elysia'
import { buildDocument, generator } from './api-docs.ts'

describe('the API document generator', () => {
  test("loading it leaves TypeBox's string formats as they were (it replaces them with valibot checks on import)", async () => {
    t.String({ format: 'uuid' }) // Elysia registers its formats as its type system loads
    const before = new Map(FormatRegistry.Entries())
    expect(before.has('uuid')).toBe(true)
    expect(before.has('email')).toBe(true)
    await generator()
    expect(new Map(FormatRegistry.Entries())).toEqual(before)
    for (const [name, check] of before) expect({ name, same: FormatRegistry.Get(name) === check }).toEqual({ name, same: true })
  })

  test('the bundle still sets formats when imported (the day it stops, the restore can go)', async () => {
    const source = await Bun.file(Bun.resolveSync('@elysiajs/openapi', import.meta.dir)).text()
    expect(source).toContain('FormatRegistry.Set("uuid"')
  })

  test('a document lists a route with its JSON body', async () => {
    const app = new Elysia().post('/things', ({ body }) => body, { body: t.Object({ name: t.String() }), response: { 200: t.Object({ name: t.String() }) }, detail: { summary: 'a thing' } })
    const doc = (await buildDocument(app, { title: 'things', description: 'test' })) as any
    expect(Object.keys(doc.paths['/things'].post.requestBody.content)).toEqual(['application/json'])
  })
})
