import { Elysia } from 'elysia'
import type { authPlugin } from '@shop/shared/http/auth'
import { Problem } from '@shop/shared/http/errors'
import { Page, pageResponse } from '@shop/shared/http/pagination'
import { AdminListQuery, Category_, CreateProduct, CurrencyUse, ListQuery, Product, ProductIdParams, UpdateProduct } from './model.ts'
import type { ProductsService } from './service.ts'

export function productRoutes(products: ProductsService, auth: ReturnType<typeof authPlugin>) {
  return new Elysia({ name: 'catalog.products', detail: { tags: ['products'] } })
    .use(auth)
    // The shop's busiest route: answered as JSON straight away (pageResponse), its schema still documenting it.
    .get('/api/products', async ({ query }) => pageResponse(await products.list(query)), {
      query: ListQuery,
      response: { 200: Page(Product), 422: Problem },
      detail: {
        summary: 'Active products: full-text q (prefix, ranked), category, minPrice/maxPrice, sort, keyset pages',
      },
    })
    .get('/api/products/:id', ({ params }) => products.get(params.id), {
      params: ProductIdParams,
      response: { 200: Product, 404: Problem, 422: Problem },
      detail: { summary: 'One active product with its price and available stock' },
    })
    .get('/api/categories', () => products.categories(), {
      response: { 200: Page(Category_) },
      detail: { summary: 'Categories of active products, with how many each has' },
    })
    .get('/api/currencies', () => products.currencies(), {
      response: { 200: Page(CurrencyUse) },
      detail: { summary: 'Currencies active products are priced in, most products first (the wallet currencies worth opening here)' },
    })
    .get('/api/inventory/products', ({ query }) => products.list({ ...query, status: query.status ?? 'all' }), {
      auth: 'admin',
      query: AdminListQuery,
      response: { 200: Page(Product), 401: Problem, 403: Problem, 422: Problem },
      detail: { tags: ['inventory'], summary: "Admin: every product, active or not (?status=active|inactive|all, default all), with the shop list's q, category, prices, sort and pages" },
    })
    .get('/api/inventory/products/:id', ({ params }) => products.getAny(params.id), {
      auth: 'admin',
      params: ProductIdParams,
      response: { 200: Product, 401: Problem, 403: Problem, 404: Problem, 422: Problem },
      detail: { tags: ['inventory'], summary: 'Admin: one product, active or not' },
    })
    .post('/api/products', async ({ user, body, status }) => status(201, await products.create(body, user.id)), {
      auth: 'admin',
      body: CreateProduct,
      response: { 201: Product, 401: Problem, 403: Problem, 422: Problem },
      detail: { summary: 'Admin: add a product; its stock is its first stock movement (initial)' },
    })
    .patch('/api/products/:id', ({ user, params, body }) => products.update(params.id, body, user.id), {
      auth: 'admin',
      params: ProductIdParams,
      body: UpdateProduct,
      response: { 200: Product, 401: Problem, 403: Problem, 404: Problem, 409: Problem, 422: Problem },
      detail: { summary: 'Admin: change a product; active: false deactivates it; a new stock is an adjustment movement (409 below what is reserved)' },
    })
}

