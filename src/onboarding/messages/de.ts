import type { Catalogue } from './catalogue.js';

/** Formal address (Sie), as a company writes to its staff. */
export const de: Catalogue = {
  tag: 'de',
  emails: {
    invitation: {
      subject: 'Handlungsbedarf: Richten Sie die Multi-Faktor-Authentifizierung (MFA) ein',
      body: [
        'Guten Tag {name},',
        '{company} führt für Ihr Konto die Multi-Faktor-Authentifizierung (MFA) ein, um Ihr Konto und unsere Daten zu schützen.',
        '1. Wählen Sie unten „{button}“.\n2. Melden Sie sich mit Ihrem Arbeitskonto an, wenn Sie dazu aufgefordert werden.\n3. Installieren Sie Microsoft Authenticator auf Ihrem Smartphone und folgen Sie den Schritten auf dem Bildschirm.',
        '{button}',
        'Das dauert nur etwa fünf Minuten.',
      ].join('\n\n'),
    },
    reminder: {
      subject: 'Erinnerung Nr. {n}: Ihre MFA-Einrichtung steht noch aus',
      body: [
        '**Erinnerung Nr. {n}**',
        'Guten Tag {name},',
        'wir möchten Sie daran erinnern, dass die Einrichtung der Multi-Faktor-Authentifizierung (MFA) für Ihr Konto bei {company} noch aussteht.',
        '1. Wählen Sie unten „{button}“.\n2. Melden Sie sich mit Ihrem Arbeitskonto an, wenn Sie dazu aufgefordert werden.\n3. Installieren Sie Microsoft Authenticator auf Ihrem Smartphone und folgen Sie den Schritten auf dem Bildschirm.',
        '{button}',
        'Das dauert nur etwa fünf Minuten.',
      ].join('\n\n'),
    },
    escalation: {
      subject: 'Ihre Unterstützung ist gefragt: {name} hat die MFA-Einrichtung noch nicht abgeschlossen',
      body: [
        'Guten Tag {manager},',
        '{employee} ({employeeDetails}) hat die Einrichtung der Multi-Faktor-Authentifizierung (MFA) noch nicht abgeschlossen.',
        'Einladung versandt: {sent}\nSeitdem versandte Erinnerungen: {n}',
        'Bitte weisen Sie {employee} darauf hin, die neueste E-Mail von {company} zu öffnen und „{button}“ zu wählen oder sich bei Fragen an {supportTeam} zu wenden.',
      ].join('\n\n'),
    },
  },
  email: {
    button: 'MFA jetzt einrichten',
    support: 'Fragen? Wenden Sie sich an {supportTeam} unter {supportEmail}.',
    lostLink: 'Einrichtungslink nicht mehr zur Hand?',
    requestNew: 'Fordern Sie einen neuen an.',
    sentUnknown: 'Datum nicht erfasst',
  },
  pages: {
    helpWithAddress: 'Benötigen Sie Hilfe? Wenden Sie sich an {team} unter {address}.',
    help: 'Benötigen Sie Hilfe? Wenden Sie sich an {team}.',
    notRecognised: {
      title: 'Link nicht erkannt',
      text: 'Dieser Link ist ungültig oder wurde durch einen neueren ersetzt. Verwenden Sie den Link aus Ihrer neuesten E-Mail oder fordern Sie einen neuen an.',
      button: 'Neuen Link anfordern',
    },
    replaced: {
      title: 'Dieser Link wurde ersetzt',
      text: 'Nach dieser Einladung wurde eine neuere versandt, daher funktioniert dieser Link nicht mehr. Verwenden Sie den Link aus Ihrer neuesten E-Mail oder fordern Sie einen neuen an: Er wird an die Adresse gesendet, an die auch diese Einladung ging.',
      button: 'Neuen Link per E-Mail senden',
    },
    freshLinkRequested: {
      title: 'Anfrage erhalten',
      text: 'Falls Sie die Multi-Faktor-Authentifizierung noch einrichten müssen, erhalten Sie in Kürze einen neuen Link per E-Mail, an die Adresse, an die die Einladung ging. Ältere Links funktionieren nicht mehr.',
    },
    confirm: {
      title: 'Multi-Faktor-Authentifizierung einrichten',
      text: 'Hiermit richten Sie die Multi-Faktor-Authentifizierung (MFA) für {upn} ein.',
      steps: [
        'Klicken Sie auf die Schaltfläche: Wir bereiten Ihr Konto für MFA vor.',
        'Registrieren Sie anschließend die Authenticator-App oder Ihr Telefon bei Microsoft.',
      ],
      button: 'MFA jetzt einrichten',
    },
    enrolled: {
      title: 'Sie sind angemeldet',
      text: 'Schritt 1 von 2 erledigt: {upn} ist für die Multi-Faktor-Authentifizierung bereit.',
      next: 'Schritt 2 von 2: Registrieren Sie eine Methode (die Microsoft Authenticator-App oder Ihr Telefon). Erst dann ist MFA für Ihr Konto eingerichtet.',
      redirect: 'Sie werden in {seconds} Sekunden weitergeleitet.',
      button: 'Weiter zur MFA-Einrichtung',
    },
    alreadyRegistered: {
      title: 'Bereits registriert',
      text: 'Dieser Link wurde bereits verwendet: {upn} ist angemeldet. Falls Sie Ihre Methoden noch nicht registriert haben, fahren Sie mit der MFA-Einrichtung fort.',
    },
    failed: {
      title: 'Bitte versuchen Sie es erneut',
      text: 'Wir konnten MFA für Ihr Konto gerade nicht fertig aktivieren. Es ist nichts verloren: Bitte versuchen Sie es in einigen Minuten erneut.',
      button: 'Erneut versuchen',
    },
    resendForm: {
      title: 'Neuen Einrichtungslink anfordern',
      text: 'Geben Sie Ihre geschäftliche E-Mail-Adresse ein. Gehört sie zur MFA-Einführung, erhalten Sie in Kürze einen neuen Link per E-Mail; ältere Links funktionieren dann nicht mehr.',
      label: 'Geschäftliche E-Mail-Adresse',
      button: 'Neuen Link senden',
    },
    resendReceived: {
      title: 'Anfrage erhalten',
      text: 'Gehört diese Adresse zur MFA-Einführung, erhalten Sie in Kürze einen neuen Einrichtungslink per E-Mail. Ältere Links funktionieren nicht mehr.',
    },
    tooManyRequests: { title: 'Zu viele Anfragen', text: 'Bitte warten Sie eine Weile, bevor Sie es erneut versuchen.' },
  },
};
