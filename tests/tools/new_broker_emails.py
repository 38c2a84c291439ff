#!/usr/bin/env python3
"""Writes two quote requests from brokers Minca has never seen (needs python3-openpyxl).

    new_broker_emails.py OUTDIR

nuevo.eml  sender domain in no profile; the workbook's headers look like the shipped
           xoconostle profile's (MARCA, SUBMARCA, VERSIÓN, AÑO) but it writes NO. SERIE,
           SUMA ASEGURADA and USO where that profile has SERIE and VALOR FACTURA and no use.
uso.eml    another unknown broker; the fleet's use is stated only in the body ("uso:
           comerciales"), the sheet has no use column.
"""
import io
import os
import sys

import openpyxl
from email.message import EmailMessage

out = sys.argv[1]
os.makedirs(out, exist_ok=True)


def nuevo():
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Flotilla"
    ws.append(["ECO", "MARCA", "SUBMARCA", "VERSIÓN", "AÑO", "NO. SERIE", "MOTOR", "PLACAS", "SUMA ASEGURADA", "USO"])
    ws.append(["E-01", "FORD", "RANGER", "XL DC PK L4 2.5L STD", 2019, "8AFRE9EU3KX923696", "HECHO EN MEXICO", "GMN-499-H", 450000, "CARGA"])
    ws.append(["E-02", "NISSAN", "NP300", "PICK UP L4 2.5L STD", 2022, "3N6U4X5A5NCV82071", "QR25123456", "EN TRAMITE", "$ 282,800.00", "COMERCIAL"])
    ws.append(["E-03", "KIA", "RIO", "EX 4P L4 1.6L AUT", 2018, "3KPKYBHZ1JCC76369", "G4FG998877", "PRT-12-34", 215000, "PARTICULAR"])
    buf = io.BytesIO()
    wb.save(buf)
    m = EmailMessage()
    m["From"] = "Ventas Corredor Nuevo <ventas@corredor-nuevo.example.mx>"
    m["To"] = "cotizaciones@aseguradora.mx"
    m["Subject"] = "Cotización flotilla Transportes Ejemplo"
    m["Message-ID"] = "<nuevo-001@corredor-nuevo.example.mx>"
    m["Date"] = "Tue, 14 Oct 2025 10:05:00 -0600"
    m.set_content("Buen día,\n\nSolicito cotización de flotilla.\n\nRazón social: TRANSPORTES EJEMPLO, S.A. DE C.V.\n"
                  "RFC: TPR010101AB8\nCobertura: amplia\nForma de pago: anual\n\nSaludos\n")
    m.add_attachment(buf.getvalue(), maintype="application",
                     subtype="vnd.openxmlformats-officedocument.spreadsheetml.sheet", filename="Relacion unidades.xlsx")
    open(os.path.join(out, "nuevo.eml"), "wb").write(bytes(m))


def uso():
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["No.", "MARCA", "LÍNEA", "VERSIÓN", "AÑO", "SERIE", "PLACAS"])
    ws.append([1, "FORD", "RANGER", "XL DC PK L4 2.5L STD", 2019, "8AFRE9EU3KX923696", "GMN-499-H"])
    ws.append([2, "KIA", "RIO", "EX 4P L4 1.6L AUT", 2018, "3KPKYBHZ1JCC76369", "PRT-12-34"])
    buf = io.BytesIO()
    wb.save(buf)
    m = EmailMessage()
    m["From"] = "Otro Corredor <ana@otro-corredor.example.mx>"
    m["To"] = "cotizaciones@aseguradora.mx"
    m["Subject"] = "Cotización flotilla Comercial Ejemplo"
    m["Message-ID"] = "<uso-001@otro-corredor.example.mx>"
    m["Date"] = "Wed, 15 Oct 2025 18:40:00 -0600"
    m.set_content("Buenas tardes,\n\nRazón social: COMERCIAL EJEMPLO, S.A. DE C.V.\nRFC: TPR010101AB8\n"
                  "Cobertura: limitada\nLas unidades se utilizan para reparto, uso: comerciales.\n")
    m.add_attachment(buf.getvalue(), maintype="application",
                     subtype="vnd.openxmlformats-officedocument.spreadsheetml.sheet", filename="unidades.xlsx")
    open(os.path.join(out, "uso.eml"), "wb").write(bytes(m))


nuevo()
uso()
