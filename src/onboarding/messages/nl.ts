import type { Catalogue } from './catalogue.js';

/** Formal address (u), with the "Beste" greeting Dutch companies use in staff mail. */
export const nl: Catalogue = {
  tag: 'nl',
  emails: {
    invitation: {
      subject: 'Actie vereist: stel meervoudige verificatie (MFA) in',
      body: [
        'Beste {name},',
        '{company} schakelt meervoudige verificatie (MFA) in voor uw account, om uw account en onze gegevens te beschermen.',
        '1. Kies hieronder ‘{button}’.\n2. Meld u aan met uw werkaccount wanneer daarom wordt gevraagd.\n3. Installeer Microsoft Authenticator op uw telefoon en volg de stappen op het scherm.',
        '{button}',
        'Het duurt ongeveer vijf minuten.',
      ].join('\n\n'),
    },
    reminder: {
      subject: 'Herinnering {n}: het instellen van MFA staat nog open',
      body: [
        '**Herinnering {n}**',
        'Beste {name},',
        'Het instellen van meervoudige verificatie (MFA) voor uw account bij {company} staat nog open.',
        '1. Kies hieronder ‘{button}’.\n2. Meld u aan met uw werkaccount wanneer daarom wordt gevraagd.\n3. Installeer Microsoft Authenticator op uw telefoon en volg de stappen op het scherm.',
        '{button}',
        'Het duurt ongeveer vijf minuten.',
      ].join('\n\n'),
    },
    escalation: {
      subject: 'Actie van u gevraagd: {name} heeft MFA nog niet ingesteld',
      body: [
        'Beste {manager},',
        '{employee} ({employeeDetails}) heeft het instellen van meervoudige verificatie (MFA) nog niet afgerond.',
        'Uitnodiging verzonden: {sent}\nSindsdien verzonden herinneringen: {n}',
        'Wilt u {employee} vragen de meest recente e-mail van {company} te openen en ‘{button}’ te kiezen, of voor hulp contact op te nemen met {supportTeam}?',
      ].join('\n\n'),
    },
  },
  email: {
    button: 'MFA nu instellen',
    support: 'Vragen? Neem contact op met {supportTeam} via {supportEmail}.',
    lostLink: 'Bent u uw instellingslink kwijt?',
    requestNew: 'Vraag een nieuwe aan.',
    sentUnknown: 'datum niet vastgelegd',
  },
  pages: {
    helpWithAddress: 'Hulp nodig? Neem contact op met {team} via {address}.',
    help: 'Hulp nodig? Neem contact op met {team}.',
    notRecognised: {
      title: 'Link niet herkend',
      text: 'Deze link is ongeldig of is vervangen door een nieuwere. Gebruik de link in uw meest recente e-mail of vraag een nieuwe aan.',
      button: 'Nieuwe link aanvragen',
    },
    replaced: {
      title: 'Deze link is vervangen',
      text: 'Na deze uitnodiging is een nieuwere verzonden, daarom werkt deze link niet meer. Gebruik de link in uw meest recente e-mail of vraag een nieuwe aan: die wordt verzonden naar het adres waarnaar deze uitnodiging is gestuurd.',
      button: 'Stuur mij een nieuwe link',
    },
    freshLinkRequested: {
      title: 'Aanvraag ontvangen',
      text: 'Als u meervoudige verificatie nog moet instellen, ontvangt u binnenkort een nieuwe link per e-mail, op het adres waarnaar de uitnodiging is gestuurd. Oudere links werken niet meer.',
    },
    confirm: {
      title: 'Meervoudige verificatie instellen',
      text: 'Hiermee stelt u meervoudige verificatie (MFA) in voor {upn}.',
      steps: ['Klik op de knop: wij bereiden uw account voor op MFA.', 'Registreer daarna de Authenticator-app of uw telefoon bij Microsoft.'],
      button: 'MFA nu instellen',
    },
    enrolled: {
      title: 'U bent aangemeld',
      text: 'Stap 1 van 2 voltooid: {upn} is klaar voor meervoudige verificatie.',
      next: 'Stap 2 van 2: registreer een methode (de Microsoft Authenticator-app of uw telefoon). Zolang u dat niet hebt gedaan, is MFA voor uw account niet ingesteld.',
      redirect: 'U wordt over {seconds} seconden doorgestuurd.',
      button: 'Doorgaan naar het instellen van MFA',
    },
    alreadyRegistered: {
      title: 'Al geregistreerd',
      text: 'Deze link is al gebruikt: {upn} is aangemeld. Als u uw methoden nog niet hebt geregistreerd, gaat u verder met het instellen van MFA.',
    },
    failed: {
      title: 'Probeer het opnieuw',
      text: 'Het is ons op dit moment niet gelukt MFA voor uw account te activeren. Er gaat niets verloren: probeer het over een paar minuten opnieuw.',
      button: 'Opnieuw proberen',
    },
    resendForm: {
      title: 'Nieuwe instellingslink aanvragen',
      text: 'Voer uw zakelijke e-mailadres in. Als het onder de invoering van MFA valt, ontvangt u binnenkort een nieuwe link per e-mail; oudere links werken dan niet meer.',
      label: 'Zakelijk e-mailadres',
      button: 'Stuur mij een nieuwe link',
    },
    resendReceived: {
      title: 'Aanvraag ontvangen',
      text: 'Als dit adres onder de invoering van MFA valt, ontvangt u binnenkort een nieuwe instellingslink per e-mail. Oudere links werken niet meer.',
    },
    tooManyRequests: { title: 'Te veel aanvragen', text: 'Wacht even voordat u het opnieuw probeert.' },
  },
};
