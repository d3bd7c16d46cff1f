import { runApi } from '@shop/shared/service'
import { payments } from '../service.ts'

await runApi(payments)
