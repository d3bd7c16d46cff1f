import { runApi } from '@shop/shared/runtime/service'
import { payments } from '../service.ts'

await runApi(payments)
