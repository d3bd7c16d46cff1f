import { runApi } from '@shop/shared/service'
import { orders } from '../service.ts'

await runApi(orders)
