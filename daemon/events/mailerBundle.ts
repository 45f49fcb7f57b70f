// nodemailer as a bundle of its own (dist/mailer.js, see build.mjs): ~400 KB of code that every daemon
// would otherwise parse at start (+3 MiB idle RSS), for the few that ever send an email.
export { createTransport } from 'nodemailer';
