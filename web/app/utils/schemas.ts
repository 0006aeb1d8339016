import { z } from '@mintreu/contracts/zod'

// Form schemas of the web's own pages. better-auth's defaults: passwords of 8 to 128 characters.
export const passwordSchema = z
  .string()
  .min(8, 'Use at least 8 characters')
  .max(128, 'Use at most 128 characters')

export const emailSchema = z.email('Enter a valid email address')

export const signInSchema = z.object({
  email: emailSchema,
  password: z.string().min(1, 'Enter your password'),
  rememberMe: z.boolean(),
})

export const signUpSchema = z.object({
  name: z.string().trim().min(1, 'Tell us your name').max(100, 'Keep it under 100 characters'),
  email: emailSchema,
  password: passwordSchema,
})

export const forgotPasswordSchema = z.object({ email: emailSchema })

export const newPasswordSchema = z
  .object({ newPassword: passwordSchema, confirmPassword: z.string() })
  .refine(v => v.newPassword === v.confirmPassword, { message: 'The passwords do not match', path: ['confirmPassword'] })

export const profileSchema = z.object({
  name: z.string().trim().min(1, 'Your name cannot be empty').max(100, 'Keep it under 100 characters'),
})

export const changePasswordSchema = z
  .object({
    currentPassword: z.string().min(1, 'Enter your current password'),
    newPassword: passwordSchema,
    confirmPassword: z.string(),
    revokeOtherSessions: z.boolean(),
  })
  .refine(v => v.newPassword === v.confirmPassword, { message: 'The passwords do not match', path: ['confirmPassword'] })
