import { runApi } from '@shop/shared/runtime/service'
import { orders } from '../service.ts'

await runApi(orders)
